import type { Handlers } from './handlers.ts';

export const domainVerificationHandlers = {
} satisfies Partial<Handlers>;
