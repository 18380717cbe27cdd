// Expressions on the request hot path: parsing a ConditionExpression (cache miss) and
// evaluating it, and compiling a cached UpdateExpression (bind names/values) and applying it.
import type { Bench } from 'tinybench';
import {
  applyUpdate,
  clearExpressionCache,
  compileRequestExpressions,
  evaluateCondition,
  type ExpressionParameters,
} from '../src/expressions/index.ts';
import { parseConditionExpression } from '../src/expressions/parser.ts';
import { bindCondition } from '../src/expressions/compile.ts';
import type { Item } from '../src/values/types.ts';

const conditionText = 'attribute_not_exists(#pk) OR (#v < :max AND begins_with(#s, :p))';
const conditionParams: ExpressionParameters = {
  ConditionExpression: conditionText,
  ExpressionAttributeNames: { '#pk': 'pk', '#v': 'version', '#s': 'status' },
  ExpressionAttributeValues: { ':max': { N: '100' }, ':p': { S: 'act' } },
};

const updateParams: ExpressionParameters = {
  UpdateExpression: 'SET #c = #c + :one, #u = :now, #tags = list_append(if_not_exists(#tags, :empty), :t) REMOVE #old',
  ExpressionAttributeNames: { '#c': 'count', '#u': 'updatedAt', '#tags': 'tags', '#old': 'legacy' },
  ExpressionAttributeValues: {
    ':one': { N: '1' },
    ':now': { S: '2024-06-10T12:00:00Z' },
    ':empty': { L: [] },
    ':t': { L: [{ S: 'seen' }] },
  },
};

const item: Item = {
  pk: { S: 'customer#8f14e45f' },
  sk: { N: '1718035200123' },
  version: { N: '41' },
  status: { S: 'active' },
  count: { N: '1024' },
  tags: { L: [{ S: 'vip' }, { S: 'beta' }] },
  legacy: { S: 'remove me' },
  name: { S: 'Ada Lovelace' },
};

export function register(bench: Bench): void {
  let sink = 0;
  let n = 0;
  const compiledCondition = compileRequestExpressions(conditionParams).condition!;
  const bindContext = { names: conditionParams.ExpressionAttributeNames!, values: conditionParams.ExpressionAttributeValues! };
  bench
    .add('parse (uncached) + bind + evaluate ConditionExpression (66 chars)', () => {
      // A trailing space varies the text, so nothing is served from the cache.
      const parsed = parseConditionExpression(conditionText + (n++ & 1 ? ' ' : ''));
      const compiled = bindCondition(parsed, bindContext, 'ConditionExpression');
      sink ^= evaluateCondition(compiled, item) ? 1 : 0;
    })
    .add('compile (cached) + evaluate ConditionExpression', () => {
      sink ^= evaluateCondition(compileRequestExpressions(conditionParams).condition!, item) ? 1 : 0;
    })
    .add('evaluate ConditionExpression on an 8-attribute item', () => {
      sink ^= evaluateCondition(compiledCondition, item) ? 1 : 0;
    })
    .add('compile (cached) + apply UpdateExpression (SET ×3, REMOVE)', () => {
      const compiled = compileRequestExpressions(updateParams);
      const result = applyUpdate(compiled.update!, item);
      sink ^= result.updatedPaths.length;
    });
  clearExpressionCache();
  bench.addEventListener('complete', () => {
    if (sink === -1) console.log(sink);
  });
}
