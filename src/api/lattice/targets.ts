import type { Handlers } from './handlers.ts';

export const targetHandlers = {
} satisfies Partial<Handlers>;
