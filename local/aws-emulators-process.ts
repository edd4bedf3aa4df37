/**
 * The AWS emulators (local/aws-emulators.ts) as a process of their own, for a
 * benchmark that reads their CPU apart from their clients': prints the
 * endpoints as one JSON line when ready, and exits when its stdin closes.
 */
import { startAwsEmulators } from './aws-emulators.ts';

const emulators = await startAwsEmulators();
process.stdout.write(`${JSON.stringify({ sqsEndpoint: emulators.sqsEndpoint, s3Endpoint: emulators.s3Endpoint, dynamodbEndpoint: emulators.dynamodbEndpoint })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void emulators.stop().finally(() => process.exit(0)));
