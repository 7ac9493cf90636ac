import type { Handlers } from './handlers.ts';

export const resourceConfigurationHandlers = {
} satisfies Partial<Handlers>;
