export * from './schemas/address.ts';
export * from './schemas/service.ts';
