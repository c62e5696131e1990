export {
  type DeadLetter,
  type DeadLetterPage,
  DeadLetters,
  type DeadLettersOptions,
  deadLetterSchema,
} from './dead-letters.js';
export { DeliveryFanOut, type DeliveryFanOutOptions } from './delivery-fan-out.js';
export { createDeliveryQueue, type DeliveryQueueOptions } from './delivery-queue.js';
export { type DeliveryWorker, type DeliveryWorkerOptions, startDeliveryWorker } from './delivery-worker.js';
export {
  type SignWebhookOptions,
  signWebhook,
  type VerifyWebhookSignatureOptions,
  verifyWebhookSignature,
  webhookHeaders,
} from './signature.js';
export {
  type Subscription,
  type SubscriptionInput,
  type SubscriptionView,
  subscriptionInputSchema,
  subscriptionViewSchema,
  viewOfSubscription,
} from './subscription.js';
export { type DeleteResult, SubscriptionStore, type SubscriptionStoreOptions } from './subscription-store.js';
export { type UrlPolicyOptions, WebhookUrlError, WebhookUrlPolicy } from './url-policy.js';
export { loadWebhookConfig, type WebhookConfig } from './webhook-config.js';
