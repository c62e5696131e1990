export { type Delivery, type Subscription, subscribe } from './subscribe.js';
export type { SubscribeOptions } from './subscribe-options.js';
