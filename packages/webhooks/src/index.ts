export {
  type DeadLetter,
  type DeadLetterPage,
  DeadLetters,
  type DeadLettersOptions,
  deadLetterSchema,
} from './dead-letters.js';
export { DeliveryFanOut, type DeliveryFanOutOptions } from './delivery-fan-out.js';
export { type DeliveryAttemptResult, deliveryAttemptResults } from './delivery-processor.js';
export { createDeliveryQueue, type DeliveryQueueOptions, deliveryQueueName } from './delivery-queue.js';
export { type DeliveryWorker, type DeliveryWorkerOptions, startDeliveryWorker } from './delivery-worker.js';
export {
  type FanOutConsumer,
  type FanOutConsumerOptions,
  fanOutGroup,
  startFanOutConsumer,
} from './fan-out-consumer.js';
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
export { SubscriptionCache, type SubscriptionSource } from './subscription-cache.js';
export {
  type DeleteResult,
  SubscriptionLimitError,
  SubscriptionStore,
  type SubscriptionStoreOptions,
} from './subscription-store.js';
export { type UrlPolicyOptions, WebhookUrlError, WebhookUrlPolicy } from './url-policy.js';
export { loadWebhookConfig, type WebhookConfig } from './webhook-config.js';
