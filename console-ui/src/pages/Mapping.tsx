import type { EditorView } from '@codemirror/view';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, asApiError } from '../api';
import { ConfirmDialog, ErrorNote, Loading, PageTitle } from '../components';
import { plural } from '../format';
import { announce } from '../live';
import { compareProperties, problemsOf } from '../compare';
import type {
  CallPreview,
  MappingCheck,
  MappingFile,
  MappingPreviewAnswer,
  MappingProblem,
  MappingSaved,
  Preview,
  Properties,
  Session,
} from '../types';

/** CodeMirror is most of the console's code: it is loaded (a chunk of its own) only when this page opens. */
type EditorModule = typeof import('../editor');

/** An edit not saved yet, kept while the operator looks at other pages (lost on reload: it is never stored). */
let draft: { text: string; base: MappingFile } | null = null;

function ProblemList({ problems, onLine }: { problems: MappingProblem[]; onLine: (line: number) => void }) {
  return (
    <ul class="problems">
      {problems.map((problem, index) => {
        const text = `${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
        return (
          <li key={index}>
            {problem.line !== null ? (
              <button type="button" onClick={() => onLine(problem.line ?? 1)}>
                Line {problem.line}: {text}
              </button>
            ) : (
              <span class="note note-error">{text}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function action(side: CallPreview | undefined, part: 'contact' | 'call'): string {
  if (!side) return 'not written';
  const planned = side[part];
  return planned.action === 'none' ? `none: ${planned.reason}` : planned.action;
}

function propertiesOf(side: CallPreview | undefined, part: 'contact' | 'call'): Properties | null {
  if (!side) return null;
  const planned = side[part];
  return planned.action === 'none' ? null : planned.properties;
}

function Value({ value }: { value: string | undefined }) {
  return <td class="pre-wrap">{value ?? <span class="muted">not written</span>}</td>;
}

/** One object's properties, in force next to proposed (`proposed` null: the edited mapping gave none to compare). */
function CompareTable({
  caption,
  part,
  inForce,
  proposed,
}: {
  caption: string;
  part: 'contact' | 'call';
  inForce: CallPreview | undefined;
  proposed: CallPreview | undefined | null;
}) {
  const compared = proposed !== null;
  const rows = compareProperties(propertiesOf(inForce, part), compared ? propertiesOf(proposed, part) : null);
  const before = action(inForce, part);
  const after = compared ? action(proposed, part) : before;
  const changes = compared ? rows.filter((row) => row.changed).length + (before !== after ? 1 : 0) : 0;
  const mark = (changed: boolean) => (compared && changed ? <span class="changed-mark"> (changed)</span> : null);
  return (
    <div class="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption>
          {caption}
          {compared ? `: ${changes === 0 ? 'no difference' : plural(changes, 'difference')}` : ' (in force)'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Property</th>
            <th scope="col">In force</th>
            {compared ? <th scope="col">Proposed</th> : null}
          </tr>
        </thead>
        <tbody>
          <tr class={compared && before !== after ? 'changed' : undefined}>
            <th scope="row">
              <em>action</em>
              {mark(before !== after)}
            </th>
            <td>{before}</td>
            {compared ? <td>{after}</td> : null}
          </tr>
          {rows.map((row) => (
            <tr key={row.name} class={compared && row.changed ? 'changed' : undefined}>
              <th scope="row" class="mono">
                {row.name}
                {mark(row.changed)}
              </th>
              <Value value={row.inForce} />
              {compared ? <Value value={row.proposed} /> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PreviewResult({ answer }: { answer: MappingPreviewAnswer }) {
  const proposed: Preview | null = answer.proposed;
  const keys = [
    ...new Set([
      ...answer.inForce.calls.map((call) => call.callKey),
      ...(proposed?.calls ?? []).map((call) => call.callKey),
    ]),
  ];
  const notes = [...new Set([...answer.inForce.notes, ...(proposed?.notes ?? [])])];
  return (
    <div>
      {proposed === null ? (
        <p class="note note-error">
          The edited mapping has problems, so it writes nothing: fix them to compare. Shown: what the mapping in force
          writes.
        </p>
      ) : null}
      {notes.length > 0 ? (
        <ul>
          {notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      ) : null}
      {keys.length === 0 ? <p>No call to write (see the notes).</p> : null}
      {keys.map((key) => {
        const before = answer.inForce.calls.find((call) => call.callKey === key);
        const after = proposed?.calls.find((call) => call.callKey === key);
        const skipped = [
          ...(after?.call.skipped ?? []),
          ...(after && after.contact.action !== 'none' ? after.contact.skipped : []),
        ];
        return (
          <section key={key} aria-label={`Call ${key}`}>
            <h3>
              Call <span class="mono">{key}</span>
              {after?.event || before?.event ? <span class="muted"> ({after?.event ?? before?.event})</span> : null}
            </h3>
            <div class="compare">
              <CompareTable caption="Contact" part="contact" inForce={before} proposed={proposed ? after : null} />
              <CompareTable caption="Call" part="call" inForce={before} proposed={proposed ? after : null} />
            </div>
            {after?.call.reason ? <p class="muted">{after.call.reason}</p> : null}
            {skipped.length > 0 ? (
              <details>
                <summary>Properties the proposed mapping skips ({skipped.length})</summary>
                <ul>
                  {skipped.map((item, index) => (
                    <li key={index}>
                      <span class="mono">{item.property}</span>: {item.reason}
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
          </section>
        );
      })}
    </div>
  );
}

function PreviewPane({ initialEvent, text }: { initialEvent: string | null; text: () => string }) {
  const [source, setSource] = useState<'event' | 'payload'>('event');
  const [eventId, setEventId] = useState(initialEvent ?? '');
  const [vendor, setVendor] = useState('');
  const [payload, setPayload] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [answer, setAnswer] = useState<MappingPreviewAnswer | null>(null);

  useEffect(() => {
    if (initialEvent !== null) {
      setSource('event');
      setEventId(initialEvent);
    }
  }, [initialEvent]);

  const submit = (event: Event) => {
    event.preventDefault();
    let body: Record<string, unknown>;
    if (source === 'event') {
      const id = Number(eventId.trim());
      if (!Number.isInteger(id) || id <= 0) return setError('Enter the number of a stored event (e.g. 123).');
      body = { text: text(), eventId: id };
    } else {
      if (vendor.trim() === '') return setError('Enter the vendor the payload comes from.');
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch (failure) {
        return setError(`The payload is not JSON: ${failure instanceof Error ? failure.message : String(failure)}`);
      }
      body = { text: text(), vendor: vendor.trim(), payload: parsed };
    }
    setBusy(true);
    setError(null);
    api<MappingPreviewAnswer>('POST', '/mapping/preview', body).then(
      (result) => {
        setBusy(false);
        setAnswer(result);
        announce(result.proposed ? 'Preview ready' : 'Preview ready: the edited mapping has problems');
      },
      (failure: unknown) => {
        setBusy(false);
        setError(asApiError(failure));
      },
    );
  };

  return (
    <section aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p class="muted">
        What the edited mapping would write to HubSpot for one call, next to what the mapping in force writes. Nothing
        is written.
      </p>
      <form onSubmit={submit} class="stack">
        <fieldset>
          <legend>Call to preview</legend>
          <label>
            <input
              type="radio"
              name="preview-source"
              checked={source === 'event'}
              onChange={() => setSource('event')}
            />{' '}
            A stored event
          </label>{' '}
          <label>
            <input
              type="radio"
              name="preview-source"
              checked={source === 'payload'}
              onChange={() => setSource('payload')}
            />{' '}
            A pasted payload
          </label>
        </fieldset>
        {source === 'event' ? (
          <div class="field">
            <label for="p-event">Event number</label>
            <input
              id="p-event"
              type="text"
              inputMode="numeric"
              value={eventId}
              onInput={(event) => setEventId(event.currentTarget.value)}
            />
          </div>
        ) : (
          <>
            <div class="field">
              <label for="p-vendor">Vendor</label>
              <input
                id="p-vendor"
                type="text"
                value={vendor}
                onInput={(event) => setVendor(event.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="p-payload">Payload (JSON, as the vendor sends it)</label>
              <textarea
                id="p-payload"
                rows={8}
                spellcheck={false}
                value={payload}
                onInput={(event) => setPayload(event.currentTarget.value)}
              />
            </div>
          </>
        )}
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Previewing…' : 'Preview'}
          </button>
        </div>
      </form>
      <ErrorNote error={error} title="No preview" />
      {answer ? <PreviewResult answer={answer} /> : null}
    </section>
  );
}

export function Mapping({ session, event }: { session: Session; event: string | null }) {
  const [base, setBase] = useState<MappingFile | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [text, setText] = useState('');
  const [check, setCheck] = useState<{ text: string; problems: MappingProblem[] } | null>(null);
  const [checkError, setCheckError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [confirmReload, setConfirmReload] = useState(false);
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const editor = useRef<EditorModule | null>(null);
  const [editorError, setEditorError] = useState<string | null>(null);
  const [editorReady, setEditorReady] = useState(false);
  const current = useRef('');
  const admin = session.kind === 'admin';

  const load = (keepDraft: boolean) => {
    setLoadError(null);
    api<MappingFile>('GET', '/mapping').then(
      (file) => {
        const restored = keepDraft && draft !== null;
        const next = restored && draft ? draft : { text: file.text, base: file };
        draft = next.text === next.base.text ? null : next;
        current.current = next.text;
        setBase(next.base);
        setText(next.text);
        setStale(false);
        if (view.current && editor.current) editor.current.replaceText(view.current, next.text);
        if (restored) announce('Your unsaved edit of the mapping is restored');
      },
      (failure: unknown) => setLoadError(asApiError(failure)),
    );
  };

  useEffect(() => load(true), []);

  // The editor is made once the text is there, and kept for the page's life.
  useEffect(() => {
    if (!base || view.current) return;
    let left = false;
    import('../editor').then(
      (loaded) => {
        if (left || view.current || !host.current) return;
        editor.current = loaded;
        view.current = loaded.createEditor(host.current, {
          text: current.current,
          label: 'Mapping (YAML)',
          check: async (checked) => {
            try {
              const answer = await api<MappingCheck>('POST', '/mapping/check', { text: checked });
              setCheckError(null);
              if (checked === current.current) {
                setCheck((before) => {
                  if (!before || before.problems.length !== answer.problems.length)
                    announce(
                      answer.problems.length === 0
                        ? 'The mapping checks out'
                        : `${plural(answer.problems.length, 'problem')} in the mapping`,
                    );
                  return { text: checked, problems: answer.problems };
                });
              }
              return answer.problems;
            } catch (failure) {
              setCheckError(asApiError(failure));
              throw failure;
            }
          },
          onChange: (changed) => {
            current.current = changed;
            setText(changed);
            setSaved(null);
          },
        });
        setEditorReady(true);
      },
      () => setEditorError('The editor did not load. Reload the page to try again.'),
    );
    return () => {
      left = true;
    };
  }, [base]);

  useEffect(
    () => () => {
      view.current?.destroy();
      view.current = null;
    },
    [],
  );

  const dirty = base !== null && text !== base.text;

  // The draft follows the text; leaving the browser page with an unsaved edit asks first.
  useEffect(() => {
    if (!base) return;
    draft = dirty ? { text, base } : null;
    if (!dirty) return;
    const warn = (unload: BeforeUnloadEvent) => {
      unload.preventDefault();
      unload.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [text, base, dirty]);

  const save = () => {
    if (!base) return;
    const sent = current.current;
    setSaving(true);
    setSaveError(null);
    setSaved(null);
    api<MappingSaved>('POST', '/mapping', { text: sent, baseDigest: base.digest }).then(
      (answer) => {
        setSaving(false);
        const next = { ...base, text: sent, version: answer.version, digest: answer.digest };
        setBase(next);
        if (current.current === sent) draft = null;
        const message = `Saved: version ${answer.version} is in force.`;
        setSaved(message);
        announce(message);
      },
      (failure: unknown) => {
        setSaving(false);
        const error = asApiError(failure);
        const problems = problemsOf(error.body);
        if (error.status === 409) setStale(true);
        if (problems && view.current && editor.current) {
          editor.current.showProblems(view.current, problems);
          setCheck({ text: sent, problems });
        }
        setSaveError(error);
      },
    );
  };

  const problems = check && check.text === text ? check.problems : null;
  const toLine = (line: number) => {
    if (view.current && editor.current) editor.current.goToLine(view.current, line);
  };

  return (
    <section aria-labelledby="page-title">
      <PageTitle>Mapping</PageTitle>
      <ErrorNote error={loadError} title="Mapping not loaded" />
      {base === null && !loadError ? <Loading what="the mapping" /> : null}
      {base ? (
        <p class="muted">
          <span class="mono">{base.fileName}</span>
          {base.version !== null ? `, version ${base.version}` : ''}
          {base.digest ? (
            <>
              {' '}
              (<span class="mono">{base.digest}</span>)
            </>
          ) : null}
          {dirty ? ' · edited, not saved' : ''}
        </p>
      ) : null}
      <div class="editor-layout" hidden={base === null}>
        <div>
          <p id="editor-help" class="hint">
            Checked as you type. Tab indents; press Escape then Tab to leave the editor.
          </p>
          <div class="editor" ref={host} />
          {editorError ? <ErrorNote error={editorError} /> : editorReady ? null : <Loading what="the editor" />}
          <div aria-live="off">
            {problems === null ? (
              <p class="muted">{checkError ? '' : 'Checking…'}</p>
            ) : problems.length === 0 ? (
              <p class="note note-ok">No problems.</p>
            ) : (
              <>
                <h2>{plural(problems.length, 'problem')}</h2>
                <ProblemList problems={problems} onLine={toLine} />
              </>
            )}
          </div>
          <ErrorNote error={checkError} title="Not checked" />
          <div class="actions">
            <button
              type="button"
              class="primary"
              onClick={save}
              disabled={!admin || saving || !dirty}
              aria-describedby={admin ? undefined : 'save-admin-only'}
            >
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button type="button" onClick={() => setConfirmReload(true)} disabled={saving}>
              Load the mapping in force
            </button>
            {admin ? null : (
              <span id="save-admin-only" class="hint">
                Saving needs an admin sign-in (you are a viewer).
              </span>
            )}
          </div>
          {saved ? <p class="note note-ok">{saved}</p> : null}
          <ErrorNote
            error={
              saveError && stale
                ? 'Not saved: the mapping changed since you opened it. Your text is still here; copy what you need, then load the mapping in force and edit that.'
                : saveError
            }
            title={stale ? undefined : 'Not saved'}
          />
        </div>
        {base ? <PreviewPane initialEvent={event} text={() => current.current} /> : null}
      </div>
      <ConfirmDialog
        open={confirmReload}
        title="Load the mapping in force?"
        confirmLabel="Load it"
        onConfirm={() => {
          setConfirmReload(false);
          setSaveError(null);
          setSaved(null);
          draft = null;
          load(false);
        }}
        onCancel={() => setConfirmReload(false)}
      >
        <p>
          {dirty ? 'Your unsaved edit is replaced by the mapping in force.' : 'The editor shows the mapping in force.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}
