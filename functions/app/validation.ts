/** Turns zod issues into the API's `fields: [{ field, reason }]` list. */
import type { z } from 'zod';
import type { FieldProblem } from '../../core/errors.ts';

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, reason: 'unknown field' }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return [{ field: path || '(body)', reason: missing ? 'is required' : issue.message }];
  });
}

export function describe(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
}
