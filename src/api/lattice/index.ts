// All Lattice handlers, one module per resource family, checked complete by the compiler.
import type { Handlers } from './handlers.ts';
import { serviceNetworkHandlers } from './servicenetworks.ts';

export const latticeHandlers: Handlers = {
  ...serviceNetworkHandlers,
};
