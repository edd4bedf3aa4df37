/**
 * `GET /workers` (admin keys only): the worker agents whose heartbeat is
 * live, with capacity, busy slots, pool state and last job time. A worker
 * that stops beating drops off within its heartbeat TTL.
 */
import type { WorkerRegistry, WorkerStatus } from '../../core/adapters/worker-registry.ts';
import { forbidden } from '../../core/errors.ts';
import type { Tenant } from '../../core/tenants.ts';

export async function listWorkers(tenant: Tenant, registry: Pick<WorkerRegistry, 'live'>): Promise<{ workers: WorkerStatus[] }> {
  if (!tenant.limits.admin) throw forbidden('GET /workers needs an admin key');
  return { workers: await registry.live() };
}
