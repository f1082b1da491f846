import type { Catalog, Operation } from '../../../src/engine/specs/types.js';

function op(partial: Partial<Operation> & Pick<Operation, 'operationId' | 'method' | 'path'>): Operation {
  return {
    operationIdDerived: false,
    tags: [],
    parameters: [],
    requestBody: null,
    deprecated: false,
    security: [],
    ...partial,
  };
}

/** A small hand-made catalog exercising every validation rule (path, query, enum, formats, arrays, body). */
export const petCatalog: Catalog = {
  title: 'Pets',
  apiVersion: '1.0.0',
  sourceFormat: '3.1.0',
  servers: ['https://api.example.com/v1/'],
  securitySchemes: {},
  operations: [
    op({
      operationId: 'listPets',
      method: 'GET',
      path: '/pets',
      parameters: [
        {
          name: 'status',
          in: 'query',
          required: false,
          schema: { type: 'string', enum: ['available', 'sold'] },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: 100 },
        },
        { name: 'tags', in: 'query', required: false, schema: { type: 'array', items: { type: 'string' } } },
        {
          name: 'ids',
          in: 'query',
          required: false,
          schema: { type: 'array', items: { type: 'integer' } },
          style: 'form',
          explode: false,
        },
        { name: 'vaccinated', in: 'query', required: false, schema: { type: 'boolean' } },
        { name: 'since', in: 'query', required: false, schema: { type: 'string', format: 'date-time' } },
      ],
    }),
    op({
      operationId: 'getPet',
      method: 'GET',
      path: '/pets/{petId}',
      parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    }),
    op({
      operationId: 'searchPets',
      method: 'GET',
      path: '/search',
      parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }],
    }),
    op({
      operationId: 'createPet',
      method: 'POST',
      path: '/pets',
      requestBody: {
        required: true,
        contentType: 'application/json',
        contentTypes: ['application/json'],
        schema: {
          type: 'object',
          required: ['id', 'name'],
          properties: {
            id: { type: 'string', readOnly: true },
            name: { type: 'string', minLength: 1 },
            age: { type: 'integer', nullable: true },
            kind: { type: 'string', enum: ['cat', 'dog'] },
            owner: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
          },
          additionalProperties: false,
        },
      },
    }),
    op({
      operationId: 'uploadPhoto',
      method: 'POST',
      path: '/pets/{petId}/photo',
      parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: {
        required: false,
        contentType: 'application/x-www-form-urlencoded',
        contentTypes: ['application/x-www-form-urlencoded'],
        schema: { type: 'object', properties: { caption: { type: 'string' } } },
      },
    }),
  ],
};
