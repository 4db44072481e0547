/**
 * The entry of dist/gotalk.js, the classic script: defines the global `gotalk` with the API of
 * `bundle.ts`, as a plain object (values, not live bindings).
 */
import * as api from './bundle.ts';

(globalThis as { gotalk?: typeof api }).gotalk = { ...api };
