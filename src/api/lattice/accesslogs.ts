import type { Handlers } from './handlers.ts';

export const accessLogHandlers = {
} satisfies Partial<Handlers>;
