/**
 * Types of `@gotalk/browser/gotalk.js`, the classic script: loading it (a `<script>` tag, or a
 * side-effect import) defines the global `gotalk`, a plain object with the exports of the ESM
 * bundle `@gotalk/browser/gotalk.mjs`.
 */
declare global {
  var gotalk: typeof import('./dist/bundle.js');
}

export {};
