/**
 * The Judge0 settings of each submission (its limits in Judge0's units,
 * redirect_stderr_to_stdout, the argument string…), which our job record does
 * not hold, kept beside the job (core/adapters/job-side-data.ts) for as long
 * as the job record lives. If one is gone, the view derives them from the
 * job's limits.
 */
import type { JobSideData } from '../../../core/adapters/job-side-data.ts';
import { submissionSettingsSchema, type SubmissionSettings } from './request.ts';

export class SubmissionSettingsStore {
  constructor(private readonly documents: JobSideData) {}

  key(token: string): string {
    return this.documents.key(token);
  }

  put(token: string, settings: SubmissionSettings): Promise<void> {
    return this.documents.put(token, settings);
  }

  delete(token: string): Promise<void> {
    return this.documents.delete(token);
  }

  async get(token: string): Promise<SubmissionSettings | undefined> {
    const parsed = submissionSettingsSchema.safeParse(await this.documents.get(token));
    return parsed.success ? parsed.data : undefined;
  }
}
