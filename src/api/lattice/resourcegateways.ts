import type { Handlers } from './handlers.ts';

export const resourceGatewayHandlers = {
} satisfies Partial<Handlers>;
