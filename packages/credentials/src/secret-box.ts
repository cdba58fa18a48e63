import sodium from 'libsodium-wrappers';

// Secrets the API itself must read back (inbound hooks' signing secrets) are sealed with a
// symmetric key only the API holds (HOOK_SECRET_KEY; libsodium secretbox: XSalsa20-Poly1305),
// so the database alone does not give them away.

const b64 = (bytes: Uint8Array) => sodium.to_base64(bytes, sodium.base64_variants.ORIGINAL);
const fromB64 = (text: string) => sodium.from_base64(text, sodium.base64_variants.ORIGINAL);

/** A fresh base64 key for sealSecret / openSecret. */
export async function generateSecretBoxKey(): Promise<string> {
  await sodium.ready;
  return b64(sodium.crypto_secretbox_keygen());
}

/** `<nonce>.<box>`, both base64. */
export async function sealSecret(key: string, secret: string): Promise<string> {
  await sodium.ready;
  const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  return `${b64(nonce)}.${b64(sodium.crypto_secretbox_easy(sodium.from_string(secret), nonce, fromB64(key)))}`;
}

/** Opens what sealSecret made with the same key; throws if the key differs or the box was altered. */
export async function openSecret(key: string, sealed: string): Promise<string> {
  await sodium.ready;
  const [nonce, box] = sealed.split('.');
  if (!nonce || !box) throw new Error('not a sealed secret');
  return sodium.to_string(sodium.crypto_secretbox_open_easy(fromB64(box), fromB64(nonce), fromB64(key)));
}
