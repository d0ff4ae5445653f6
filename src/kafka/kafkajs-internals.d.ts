// kafkajs' Metadata response decoders (v0–v6): not part of its typed API, patched by
// src/kafka/client.ts (see keepDecodedMetadataOnErrors there for why).
declare module 'kafkajs/src/protocol/requests/metadata/*/response' {
  const response: { parse: (data: unknown) => Promise<unknown> };
  export = response;
}
