import type { Handlers } from './handlers.ts';

export const authPolicyHandlers = {
} satisfies Partial<Handlers>;
