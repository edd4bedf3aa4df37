/**
 * The last word on the stack's sandboxes: a worker removes its containers when
 * it stops, but one killed after its grace cannot, so once the workers are gone
 * the stack removes any container still labelled with one of their ids.
 */
import Docker from 'dockerode';

export async function removeWorkerContainers(workerIds: string[], docker = new Docker()): Promise<number> {
  if (workerIds.length === 0) return 0;
  const ours = new Set(workerIds);
  const list = await docker.listContainers({ all: true, filters: { label: ['io.runplane.worker'] } });
  const left = list.filter((c) => ours.has(c.Labels['io.runplane.worker'] ?? ''));
  await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  return left.length;
}
