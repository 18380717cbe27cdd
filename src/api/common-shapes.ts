// Request members shared by several data-plane operations.
import type { Shape } from '../validation/request-shape.ts';
import { comparisonOperators } from '../expressions/legacy.ts';

export const attributeMapShape: Shape = { type: 'Map', value: { type: 'AttributeValue' } };
export const keyShape: Shape = { type: 'Map', notNull: true, value: { type: 'AttributeValue' } };
export const returnConsumedCapacityShape: Shape = { type: 'String', enum: ['INDEXES', 'TOTAL', 'NONE'] };
export const returnItemCollectionMetricsShape: Shape = { type: 'String', enum: ['SIZE', 'NONE'] };
export const returnValuesShape: Shape = { type: 'String', enum: ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'] };
export const expressionNamesShape: Shape = { type: 'Map', value: { type: 'String' } };
export const expressionValuesShape: Shape = { type: 'Map', value: { type: 'AttributeValue' } };
/** In the order DynamoDB prints the enum (as captured from DynamoDB by moto's AWS-verified tests). */
export const selectShape: Shape = { type: 'String', enum: ['SPECIFIC_ATTRIBUTES', 'COUNT', 'ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES'] };

// Legacy parameters (see src/expressions/legacy.ts). Enum orders as dynalite recorded them.
export const attributesToGetShape: Shape = { type: 'List', minLength: 1, maxLength: 255, member: { type: 'String' } };
export const conditionalOperatorShape: Shape = { type: 'String', enum: ['OR', 'AND'] };
const attributeValueListShape: Shape = { type: 'List', member: { type: 'AttributeValue' } };
/** QueryFilter, ScanFilter, KeyConditions: attribute name → Condition. */
export const conditionsShape: Shape = {
  type: 'Map',
  value: {
    type: 'Structure',
    members: {
      AttributeValueList: attributeValueListShape,
      ComparisonOperator: { type: 'String', notNull: true, enum: comparisonOperators },
    },
  },
};
/** Expected: attribute name → ExpectedAttributeValue. */
export const expectedShape: Shape = {
  type: 'Map',
  value: {
    type: 'Structure',
    members: {
      AttributeValueList: attributeValueListShape,
      ComparisonOperator: { type: 'String', enum: comparisonOperators },
      Exists: { type: 'Boolean' },
      Value: { type: 'AttributeValue' },
    },
  },
};
/** AttributeUpdates: attribute name → AttributeValueUpdate. */
export const attributeUpdatesShape: Shape = {
  type: 'Map',
  value: {
    type: 'Structure',
    members: {
      Action: { type: 'String', enum: ['ADD', 'PUT', 'DELETE'] },
      Value: { type: 'AttributeValue' },
    },
  },
};
/** IndexName on Query and Scan: a table name's rules, but optional. */
export const indexNameShape: Shape = { type: 'String', minLength: 3, maxLength: 255, pattern: /^[a-zA-Z0-9_.-]+$/, patternText: '[a-zA-Z0-9_.-]+' };
