/**
 * The shapes of the API answers the pages read, declared once for the server and the dashboard in
 * src/views/api-types.ts (types only: nothing of it reaches the browser build).
 */
export type * from '../../../records/api-types';
