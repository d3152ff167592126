import type { Route } from './route-types';
import { Now } from './pages/Now';

/**
 * The pages of the dashboard, in the order of the navigation bar. Add a page with one line here
 * and its file in pages/.
 */
export const routes: Route[] = [
  { path: '#/now', title: 'Now', component: Now },
];
