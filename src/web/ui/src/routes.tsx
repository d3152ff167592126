import type { Route } from './route-types';
import { Logbook } from './pages/Logbook';
import { NewRun } from './pages/NewRun';
import { Environment } from './pages/Environment';
import { Module } from './pages/Module';
import { Modules } from './pages/Modules';
import { Now } from './pages/Now';
import { Run } from './pages/Run';
import { Runs } from './pages/Runs';
import { Stations } from './pages/Stations';

/**
 * The pages of the dashboard, in the order of the navigation bar. Add a page with one line here
 * and its file in pages/.
 */
export const routes: Route[] = [
  { path: '#/now', title: 'Now', component: Now },
  { path: '#/modules', title: 'Modules', component: Modules },
  { path: '#/module/:serial', title: 'Module', component: Module, nav: false },
  { path: '#/environment', title: 'Environment', component: Environment },
  { path: '#/runs', title: 'Runs', component: Runs },
  { path: '#/run/:number', title: 'Run', component: Run, nav: false },
  { path: '#/stations', title: 'Stations', component: Stations },
  { path: '#/logbook', title: 'Logbook', component: Logbook },
  { path: '#/new-run', title: 'Start New Run', component: NewRun },
  { path: '#/new-run/:run', title: 'Start New Run', component: NewRun, nav: false },
];
