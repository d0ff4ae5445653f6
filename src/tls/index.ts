/**
 * The public surface of src/tls for commands and the webhook's reconciler: pure functions and
 * async issuance, no file system (that is file-io.ts, imported only by commands).
 */
export {
  caPemFromSecret,
  caToPem,
  createCa,
  loadCa,
  CA_FILES,
  CA_SECRET_KEYS,
  type CaPem,
} from './ca';
export {
  certificatesFromPem,
  checkCommonName,
  checkPrintable,
  commonNameOf,
  fingerprint,
  type MaterialKind,
  type SigningCa,
  type SubjectAltNames,
} from './certificates';
export { generateRsaKey, type RsaBits } from './keys';
export {
  issueBrokerMaterial,
  issueClientMaterial,
  issueMaterial,
  rotateMaterial,
  type IssueOptions,
  type IssuedMaterial,
  type MaterialFiles,
  type RotateOptions,
} from './material';
export { inspectCertificates, inspectMaterial, type MaterialReport } from './inspect';
export { brokerCommonName, componentsCommonName } from './principals';
export { needsRenewal, type RenewalDecision, type RenewalReason } from './renewal';
export { brokerSubjectAltNames, MAX_BROKERS, splitSubjectAltNames, type BrokerNames } from './sans';
export {
  ANNOTATIONS,
  contentHash,
  filesFromSecret,
  rollHash,
  toSecret,
  type MaterialSummary,
  type SecretManifest,
} from './secret';
export { systemClock, type Clock } from './validity';
export {
  brokerJaasFile,
  clientJaasProperties,
  jaasSecret,
  passwordFromFile,
  type JaasSecret,
  type PlainUser,
} from './jaas';
