// kafkajs' Metadata response decoders: not part of its typed API, patched by src/kafka/client.ts
// (see keepDecodedMetadataOnErrors there for why).
interface KafkajsMetadataResponseModule {
  parse: (data: unknown) => Promise<unknown>;
}
declare module 'kafkajs/src/protocol/requests/metadata/v0/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
declare module 'kafkajs/src/protocol/requests/metadata/v1/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
declare module 'kafkajs/src/protocol/requests/metadata/v2/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
declare module 'kafkajs/src/protocol/requests/metadata/v3/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
declare module 'kafkajs/src/protocol/requests/metadata/v4/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
declare module 'kafkajs/src/protocol/requests/metadata/v5/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
declare module 'kafkajs/src/protocol/requests/metadata/v6/response' {
  const response: KafkajsMetadataResponseModule;
  export = response;
}
