// The header names of the web surface's contract, taken from contracts (not re-declared). Kept in
// one module so the bundle imports contracts/web.ts in one place.
export { CSRF_HEADER, UI_HEADER } from '@coffer/contracts/web';
