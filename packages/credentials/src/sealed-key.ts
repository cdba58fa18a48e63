import sodium from 'libsodium-wrappers';

// A tenant's own provider key is sealed (libsodium sealed box: X25519 + XSalsa20-Poly1305) to
// the credential proxy's public key. The API, which stores it, holds only the public key, so
// nothing but the proxy can ever open what is in control.credentials.

export interface ProxyKeyPair {
  /** base64, safe to give to the API (PROXY_PUBLIC_KEY) */
  publicKey: string;
  /** base64, only for the proxy (PROXY_SECRET_KEY) */
  secretKey: string;
}

const b64 = (bytes: Uint8Array) => sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
const fromB64 = (text: string) => sodium.from_base64(text, sodium.base64_variants.ORIGINAL);

export async function generateProxyKeyPair(): Promise<ProxyKeyPair> {
  await sodium.ready;
  const pair = sodium.crypto_box_keypair();
  return { publicKey: b64(pair.publicKey), secretKey: b64(pair.privateKey) };
}

export async function sealForProxy(publicKey: string, secret: string): Promise<string> {
  await sodium.ready;
  return b64(sodium.crypto_box_seal(sodium.from_string(secret), fromB64(publicKey)));
}

/** Opens a sealed secret; throws if it was not sealed to this key pair or was altered. */
export async function openSealed(keyPair: ProxyKeyPair, sealed: string): Promise<string> {
  await sodium.ready;
  return sodium.to_string(sodium.crypto_box_seal_open(fromB64(sealed), fromB64(keyPair.publicKey), fromB64(keyPair.secretKey)));
}

/** True when both halves are well-formed base64 keys of the right length. */
export async function isProxyKey(value: string): Promise<boolean> {
  await sodium.ready;
  try {
    return fromB64(value).length === sodium.crypto_box_PUBLICKEYBYTES;
  } catch {
    return false;
  }
}
