import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs one attempt per the Standard Webhooks spec (HMAC-SHA256 over `id.timestamp.body`, with
 * the `whsec_` secret). Each attempt is signed at the time it is sent: receivers refuse
 * timestamps more than a few minutes old, and a retry can come hours after the event.
 */
export function signAttempt(secret: string, messageId: string, body: string, now: Date = new Date()): SignedHeaders {
  const signature = new Webhook(secret).sign(messageId, now, body);
  return { 'webhook-id': messageId, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature };
}
