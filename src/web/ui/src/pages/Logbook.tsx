import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { getJson, postForm, postJson } from '../api';
import { useSession } from '../Login';
import { TextArea, TextInput } from '../parts';
import type { LogbookAnswer, LogbookEntry } from '../types';
import { fmtSize } from './logbook-client';
import { Markdown } from './markdown';

/**
 * The FAT logbook: entries newest first (people's and the automatic ones of the runs), a search
 * box and a tag filter, a form for a new entry with files, and a sign-up box for a shifter
 * without an account. The Start New Run form has its own page (#/new-run).
 */
interface Filter {
  q: string;
  tag: string;
  run: string;
}

function query(f: Filter): string {
  const p = new URLSearchParams();
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.tag.trim()) p.set('tag', f.tag.trim());
  if (f.run.trim()) p.set('run', f.run.trim());
  const s = p.toString();
  return s ? `?${s}` : '';
}

function EntryView({ e, onTag }: { e: LogbookEntry; onTag: (t: string) => void }) {
  return (
    <section className="card" data-testid="logbook-entry" data-entry-id={e.id}>
      <div className="muted">
        #{e.id} · {e.createdAt.slice(0, 19).replace('T', ' ')} UTC · <b>{e.author}</b>
        {e.run !== null && <> · run {e.run}</>} · {e.kind}
        {e.tags.map((t) => (
          <button key={t} type="button" className="tag" style={{ marginLeft: '0.4em', fontSize: '0.8em' }} onClick={() => onTag(t)}>
            {t}
          </button>
        ))}
      </div>
      <Markdown text={e.text} />
      {e.attachments.length > 0 && (
        <ul data-testid="attachments">
          {e.attachments.map((a) => (
            <li key={a.id}>
              <a href={`/api/logbook/attachments/${a.id}`} target="_blank" rel="noopener noreferrer">
                {a.filename}
              </a>{' '}
              <span className="muted">({fmtSize(a.size)})</span>
              {/^image\/(png|jpeg|gif|webp)$/.test(a.contentType) && (
                <div>
                  <img src={`/api/logbook/attachments/${a.id}`} alt={a.filename} style={{ maxWidth: '480px', maxHeight: '320px' }} />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function NewEntry({ onPosted }: { onPosted: () => void }) {
  const [text, setText] = useState('');
  const [tags, setTags] = useState('');
  const [run, setRun] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const files = useRef<HTMLInputElement>(null);

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.set('text', text);
    if (tags.trim()) form.set('tags', tags);
    if (run.trim()) form.set('run', run.trim());
    for (const f of Array.from(files.current?.files ?? [])) form.append('files', f, f.name);
    try {
      await postForm<LogbookEntry>('/api/logbook', form);
      setText('');
      setTags('');
      setRun('');
      if (files.current) files.current.value = '';
      onPosted();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="card"
      data-testid="logbook-new"
      onSubmit={(e) => void submit(e)}
      style={{ display: 'grid', gap: '0.4em', maxWidth: '760px' }}
    >
      <b>New entry</b>
      <TextArea label="entry text" rows={5} placeholder="What happened (Markdown)" value={text} onChange={setText} />
      <TextInput label="entry tags" placeholder="tags, comma separated" value={tags} onChange={setTags} />
      <TextInput label="entry run" placeholder="run number (optional)" value={run} onChange={setRun} />
      <input aria-label="entry files" type="file" multiple ref={files} />
      <div>
        <button type="submit" disabled={busy}>
          Post
        </button>{' '}
        {error && <span className="error">{error}</span>}
      </div>
    </form>
  );
}

function SignUp() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    try {
      await postJson('/api/signup', { name, password });
      setMsg({ ok: true, text: `Account ${name} created: log in above.` });
      setPassword('');
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  return (
    <form className="card" data-testid="signup" onSubmit={(e) => void submit(e)}>
      <b>No account?</b> Make one for yourself (a shifter):{' '}
      <input aria-label="new user name" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} />{' '}
      <input
        aria-label="new password"
        type="password"
        placeholder="password (8+ characters)"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />{' '}
      <button type="submit">Sign up</button> {msg && <span className={msg.ok ? 'pass' : 'error'}>{msg.text}</span>}
    </form>
  );
}

export function Logbook() {
  const session = useSession();
  const [draft, setDraft] = useState<Filter>({ q: '', tag: '', run: '' });
  const [filter, setFilter] = useState<Filter>({ q: '', tag: '', run: '' });
  const [entries, setEntries] = useState<LogbookEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    getJson<LogbookAnswer>(`/api/logbook${query(filter)}`).then(
      (r) => {
        setEntries(r.entries);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [filter]);
  useEffect(load, [load]);

  const byTag = (t: string) => {
    const f = { ...draft, tag: t };
    setDraft(f);
    setFilter(f);
  };

  return (
    <div>
      <h2>
        FAT logbook{' '}
        <a href="#/new-run" style={{ fontSize: '0.7em', marginLeft: '1em' }}>
          Start New Run form
        </a>
      </h2>
      {session ? <NewEntry onPosted={load} /> : <SignUp />}
      <form
        data-testid="logbook-search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
        }}
        style={{ margin: '0.6em 0', display: 'flex', gap: '0.4em', flexWrap: 'wrap' }}
      >
        <input aria-label="search" placeholder="search words" value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} />
        <input aria-label="tag filter" placeholder="tag" value={draft.tag} onChange={(e) => setDraft({ ...draft, tag: e.target.value })} />
        <input
          aria-label="run filter"
          placeholder="run"
          size={6}
          value={draft.run}
          onChange={(e) => setDraft({ ...draft, run: e.target.value })}
        />
        <button type="submit">Search</button>
        <button
          type="button"
          onClick={() => {
            const f = { q: '', tag: '', run: '' };
            setDraft(f);
            setFilter(f);
          }}
        >
          All
        </button>
      </form>
      {error && <p className="error">{error}</p>}
      {!entries && !error && <p className="muted">loading…</p>}
      {entries && entries.length === 0 && <p data-testid="logbook-empty">No entries{query(filter) ? ' match the search' : ' yet'}.</p>}
      {entries?.map((e) => (
        <EntryView key={e.id} e={e} onTag={byTag} />
      ))}
    </div>
  );
}
