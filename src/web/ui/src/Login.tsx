import { useEffect, useState, type FormEvent } from 'react';
import { currentSession, login, logout, SESSION_EVENT } from './api';
import type { Session } from './types';

/** The logged-in user, following logins and logouts anywhere on the page. */
export function useSession(): Session | null {
  const [s, setS] = useState<Session | null>(currentSession());
  useEffect(() => {
    const on = () => setS(currentSession());
    window.addEventListener(SESSION_EVENT, on);
    return () => window.removeEventListener(SESSION_EVENT, on);
  }, []);
  return s;
}

/** A small login box (or "logged in as NAME" with a logout button); any page can show one. */
export function Login() {
  const session = useSession();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (session)
    return (
      <div className="login" data-testid="login">
        logged in as <b>{session.user}</b> ({session.role}){' '}
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </div>
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(name, password);
      setPassword('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="login" data-testid="login" onSubmit={(e) => void submit(e)}>
      <input aria-label="user name" placeholder="user" value={name} onChange={(e) => setName(e.target.value)} />
      <input aria-label="password" placeholder="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" disabled={busy}>
        Log in
      </button>
      {error && <span className="error">{error}</span>}
    </form>
  );
}
