/**
 * Base64 the way Judge0 does it: Ruby's `Base64.encode64` (a newline after
 * every 60 characters and at the end) and the lenient `decode64` (characters
 * outside the alphabet are skipped).
 */
export function encode64(text: string): string {
  if (text === '') return '';
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  return encoded.replace(/.{1,60}/g, (line) => `${line}\n`);
}

export function decode64(text: string): string {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('utf8');
}
