import type { ComponentType } from 'react';

/**
 * A page of the dashboard. `path` is a hash path; a segment ":name" matches anything and is passed
 * in `params` (e.g. '#/module/:serial'). `nav: false` keeps a page out of the top navigation.
 */
export interface PageProps {
  params: Record<string, string>;
}

export interface Route {
  path: string;
  title: string;
  component: ComponentType<PageProps>;
  nav?: boolean;
}

/** The route matching a location hash ('' and '#/' are the first route), with its parameters. */
export function matchRoute(routes: readonly Route[], hash: string): { route: Route; params: Record<string, string> } | null {
  const want = (hash.replace(/^#/, '').split('?')[0] || '/').split('/').filter(Boolean);
  if (want.length === 0) return routes.length ? { route: routes[0], params: {} } : null;
  for (const route of routes) {
    const parts = route.path.replace(/^#/, '').split('/').filter(Boolean);
    if (parts.length !== want.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    parts.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(want[i]);
      else if (p !== want[i]) ok = false;
    });
    if (ok) return { route, params };
  }
  return null;
}
