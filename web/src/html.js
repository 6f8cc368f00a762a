// Preact with htm: JSX-like templates in plain JavaScript, no compiler. Text
// in templates is always escaped; the app never sets HTML from strings.
import { h } from "preact";
import htm from "htm";

export { render } from "preact";
export { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
export const html = htm.bind(h);
