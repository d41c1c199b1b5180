import { listen } from '../lib/listen';
import { onHidden } from '../lib/onHidden';
import { redactUrl, safeRedactor } from '../../core/redact';
import { resourceAttributes } from '../../core/resource';
import { formatTraceparent, parseTraceparent } from '../../core/traceparent';
import { matchesAny, ownUrls, toUrlRegExp } from '../../core/urlMatch';
import { describeError } from './describeError';
import { requestSpan } from './requestSpan';

/**
 * Functions both stages run, which the script-tag loader lends its agent: the agent's build
 * (rollup.lent.mjs) takes them from here through the global `Tracelet`, so a visitor
 * downloads them once. (Constants cost less inlined than looked up.) The eager bundle and
 * the ESM build hold one copy of everything anyway.
 */
export const LENT = { listen, onHidden, redactUrl, safeRedactor, resourceAttributes, formatTraceparent, parseTraceparent, matchesAny, ownUrls, toUrlRegExp, requestSpan, describeError };
