// The mapping editor: CodeMirror 6 with YAML highlighting, and the server's check (`POST /mapping/check`) as lint.
import { defaultKeymap, history, historyKeymap, indentWithTab, temporarilySetTabFocusMode } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, linter, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState, type Text } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import type { MappingProblem } from './types';

/** How long typing must pause before the text is checked (the brief's 400 ms). */
export const CHECK_DELAY_MS = 400;

/** The server's problems as diagnostics on their lines; a problem without a line is only listed below the editor. */
export function problemsToDiagnostics(doc: Text, problems: MappingProblem[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const problem of problems) {
    if (problem.line === null || !Number.isInteger(problem.line) || problem.line < 1 || problem.line > doc.lines)
      continue;
    const line = doc.line(problem.line);
    diagnostics.push({
      from: line.from,
      to: line.to,
      severity: 'error',
      message: problem.path ? `${problem.path}: ${problem.message}` : problem.message,
    });
  }
  return diagnostics;
}

/**
 * The editor's own look, focus ring included. CodeMirror writes its styles through style-mod, which in a document
 * adds a <style> element (refused by the console's CSP, `style-src 'self'`) but in a shadow root uses a constructed
 * style sheet (adoptedStyleSheets), which the CSP allows: so the editor lives in a shadow root of its host element.
 */
const editorTheme = EditorView.theme({
  '&': { height: '60vh', minHeight: '16rem', backgroundColor: '#ffffff', color: '#1b1f24' },
  '&.cm-focused': { outline: '3px solid #c2410c', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '0.9rem' },
  '.cm-gutters': { backgroundColor: '#f6f8fa', color: '#4f5862', borderRight: '1px solid #d0d7de' },
});

export interface EditorOptions {
  text: string;
  /** Labels the editable region for assistive technology. */
  label: string;
  /** Checks the text; its problems become lint diagnostics (a failure shows none). */
  check: (text: string) => Promise<MappingProblem[]>;
  onChange: (text: string) => void;
}

export function createEditor(host: HTMLElement, options: EditorOptions): EditorView {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  return new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        yaml(),
        lintGutter(),
        linter(
          async (view) => {
            const doc = view.state.doc;
            try {
              return problemsToDiagnostics(doc, await options.check(doc.toString()));
            } catch {
              return [];
            }
          },
          { delay: CHECK_DELAY_MS },
        ),
        // Tab indents (YAML is all indentation); Escape then Tab leaves the editor, so the keyboard is never trapped.
        keymap.of([
          ...defaultKeymap,
          ...historyKeymap,
          indentWithTab,
          { key: 'Escape', run: temporarilySetTabFocusMode },
        ]),
        editorTheme,
        // An id reference cannot cross the shadow root: the help text stands just before the editor instead.
        // tabindex: the content is focusable anyway (contenteditable); said out loud for checkers of scroll regions.
        EditorView.contentAttributes.of({ 'aria-label': options.label, tabindex: '0' }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}

/** Replaces the whole text (a reload from the server), as one undoable change. */
export function replaceText(view: EditorView, text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** Shows problems the server gave outside the lint cycle (a refused save). */
export function showProblems(view: EditorView, problems: MappingProblem[]): void {
  view.dispatch(setDiagnostics(view.state, problemsToDiagnostics(view.state.doc, problems)));
}

/** Puts the cursor at the start of a line, scrolled into view, and focuses the editor. */
export function goToLine(view: EditorView, lineNumber: number): void {
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(1, lineNumber), doc.lines));
  view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
  view.focus();
}
