/**
 * The worker's Prometheus metrics (prom-client), served on METRICS_PORT at
 * /metrics. Names carry units and `_total` for counters.
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({ name: 'runplane_jobs_total', help: 'Jobs finished, by language and verdict (failed: infrastructure).', labelNames: ['language', 'verdict'], registers: [this.registry] });
  readonly phases = new Histogram({ name: 'runplane_job_phase_duration_seconds', help: 'Time per job phase: queue_wait (submitted→received), start (waiting for a container: 0 on a pool hit), run (program wall time), total (received→stored).', labelNames: ['phase'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly acquisitions = new Counter({ name: 'runplane_pool_acquisitions_total', help: 'Containers taken from the warm pool: hit (ready or reused) or miss (started on demand).', labelNames: ['isolation', 'result'], registers: [this.registry] });
  readonly containerStart = new Histogram({ name: 'runplane_container_start_duration_seconds', help: 'Create + start + supervisor ready, per container.', labelNames: ['isolation'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly sqsReceive = new Histogram({ name: 'runplane_sqs_receive_duration_seconds', help: 'ReceiveMessage calls that returned messages (long poll included).', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly sqsDeleteBatch = new Histogram({ name: 'runplane_sqs_delete_batch_messages', help: 'Messages per DeleteMessageBatch request (finished jobs deleted together).', buckets: [1, 2, 3, 4, 6, 8, 10], registers: [this.registry] });
  readonly aiRequests = new Counter({ name: 'runplane_ai_gateway_requests_total', help: 'Requests from sandboxes to the AI gateway, by outcome (forwarded, over_quota, disabled, not_allowed, no_job).', labelNames: ['outcome'], registers: [this.registry] });
  readonly callbacks = new Counter({ name: 'runplane_callbacks_total', help: 'Job completion callbacks, by outcome (delivered: a 2xx within the tries; failed).', labelNames: ['outcome'], registers: [this.registry] });
  readonly tunerDecisions = new Counter({ name: 'runplane_autotuner_changes_total', help: 'Changes the auto-tuner made, by setting.', labelNames: ['setting'], registers: [this.registry] });
  readonly concurrency = new Gauge({ name: 'runplane_worker_concurrency', help: 'Jobs this agent may run at once (set by the auto-tuner when on).', registers: [this.registry] });
  readonly poolReady: Gauge;
  readonly poolTarget: Gauge;
  readonly busySlots: Gauge;

  private sample: (m: WorkerMetrics) => void = () => undefined;

  constructor() {
    // prom-client asks each gauge to collect as it writes it out: each one samples.
    const collect = () => this.sample(this);
    this.busySlots = new Gauge({ name: 'runplane_worker_busy_slots', help: 'Jobs running now.', registers: [this.registry], collect });
    this.poolReady = new Gauge({ name: 'runplane_pool_ready_containers', help: 'Ready containers in the warm pool.', labelNames: ['isolation'], registers: [this.registry], collect });
    this.poolTarget = new Gauge({ name: 'runplane_pool_target_containers', help: 'Target size of the warm pool.', labelNames: ['isolation'], registers: [this.registry], collect });
    collectDefaultMetrics({ register: this.registry, prefix: 'runplane_worker_' });
  }

  /** `sample` refreshes the gauges (busy slots, pool sizes) at each scrape; set by whoever owns what they measure. */
  sampleWith(sample: (m: WorkerMetrics) => void): void {
    this.sample = sample;
  }

  /** Serves /metrics (and /healthz) until closed. Port 0 picks a free port. */
  serve(port: number, host = '0.0.0.0'): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === '/metrics') {
        this.registry.metrics().then(
          (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else if (req.url === '/healthz') {
        res.writeHead(200).end('ok');
      } else {
        res.writeHead(404).end();
      }
    });
    return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
  }
}
