// Row types of the job queue (jobs/queue.ts) and of webhooks and their deliveries
// (modules/webhooks), apart from schema.ts to keep that file from growing further.

export type QueueJobState = 'queued' | 'running' | 'done' | 'failed';

export interface QueueJobTable {
  id: string;
  kind: string;
  /** JSON; ids and parameters, never a secret value. */
  payload: string;
  run_at: number;
  /** Claims so far (a claim whose process died counts). */
  attempts: number;
  max_attempts: number;
  state: QueueJobState;
  locked_by: string | null;
  lease_until: number | null;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookTable {
  id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  enabled: number;
  description: string;
  secret_enc: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface WebhookDeliveryTable {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  state: WebhookDeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface JobQueueWebhookTables {
  job_queue: QueueJobTable;
  webhooks: WebhookTable;
  webhook_deliveries: WebhookDeliveryTable;
}
