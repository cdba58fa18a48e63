export { createHook, deleteHook, getHook, type InboundHook, listHooks, updateHook } from './hooks.ts';
export { resolvePointer } from './json-pointer.ts';
export { type HookMapping, hookMappingSchema, mapDelivery } from './mapping.ts';
export { type Delivery, type DeliveryReceipt, type ReceiverDeps, receiveDelivery } from './receive.ts';
export { type HookScheme, hookSchemes, newHookSecret, verifyDelivery } from './signature.ts';
