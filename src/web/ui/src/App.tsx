import { useEffect, useState } from 'react';
import { Login } from './Login';
import { matchRoute } from './route-types';
import { routes } from './routes';

/** The location hash, following navigation (no router library: pages are '#/...' links). */
function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

export function App() {
  const hash = useHash();
  const m = matchRoute(routes, hash);
  const Page = m?.route.component;
  return (
    <>
      <header>
        <span className="brand">icefat</span>
        <nav>
          {routes
            .filter((r) => r.nav !== false)
            .map((r) => (
              <a key={r.path} href={r.path} className={m?.route === r ? 'active' : undefined}>
                {r.title}
              </a>
            ))}
        </nav>
        <Login />
      </header>
      <main>{Page ? <Page key={hash} params={m.params} /> : <p className="error">No page {hash}: choose one above.</p>}</main>
    </>
  );
}
