/**
 * Splits a multi-document YAML stream into its documents as raw text, so that the post-renderer can
 * hand documents it does not change back byte for byte (comments, order, quoting and all).
 */

export interface RawDocument {
  /** The document's text, starting at its `---` line when it has one. */
  text: string;
  /** 1-based line of the document's first line in the stream, for error messages. */
  line: number;
}

const SEPARATOR = /^---(?=[ \t]|\r?$)/;

export function splitDocuments(stream: string): RawDocument[] {
  const documents: RawDocument[] = [];
  let start = 0;
  let startLine = 1;
  let lineNumber = 1;
  let position = 0;
  while (position <= stream.length) {
    const end = stream.indexOf('\n', position);
    const lineEnd = end === -1 ? stream.length : end;
    if (
      position > start &&
      SEPARATOR.test(stream.slice(position, Math.min(lineEnd, position + 4)))
    ) {
      documents.push({ text: stream.slice(start, position), line: startLine });
      start = position;
      startLine = lineNumber;
    }
    if (end === -1) break;
    position = end + 1;
    lineNumber++;
  }
  if (start < stream.length) documents.push({ text: stream.slice(start), line: startLine });
  return documents;
}

/** True when a document holds nothing but a separator, comments and blank lines. */
export function isBlankDocument(text: string): boolean {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...')
      continue;
    return false;
  }
  return true;
}
