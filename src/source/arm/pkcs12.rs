//! PKCS#12 (`.pfx`) files in the form OpenSSL 3, Windows and Azure Key Vault export today:
//! certificate and key bags protected with PBES2 (PBKDF2 with HMAC-SHA-1/256/384/512, then
//! AES-128/192/256-CBC), and the file's integrity MAC (HMAC-SHA-1/256 keyed by the PKCS#12
//! key derivation of RFC 7292, appendix B), checked before anything is decrypted. The legacy
//! RC2 and 3DES forms are refused with the command that converts them.

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use ring::{digest, hmac, pbkdf2};

/// Why a PKCS#12 file cannot be read. No variant holds the password or key material.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs12Error {
    /// Not DER in the shape PKCS#12 has at `what`.
    #[error("{what}: {problem}")]
    Malformed {
        what: &'static str,
        problem: &'static str,
    },
    /// A form amlsec does not read: an algorithm, a version, a mode.
    #[error("{0}")]
    Unsupported(String),
    /// The MAC does not match, or a bag does not decrypt.
    #[error("{0}")]
    WrongPassword(&'static str),
    /// The file asks for more key derivation than [`MAX_ITERATIONS`] in all.
    #[error(
        "{what} of {iterations}: the file asks for more than {budget} key-derivation iterations in all"
    )]
    TooMuchWork {
        what: &'static str,
        iterations: u64,
        budget: u64,
    },
}

type Result<T> = std::result::Result<T, Pkcs12Error>;

fn malformed(what: &'static str, problem: &'static str) -> Pkcs12Error {
    Pkcs12Error::Malformed { what, problem }
}

/// What a file holds: its certificates (DER) and private keys (PKCS#8 DER).
#[derive(Default)]
pub struct Contents {
    pub certificates: Vec<Vec<u8>>,
    pub keys: Vec<Vec<u8>>,
}

/// Key derivation costs past this, for the whole file (its MAC and every encrypted bag
/// together), are refused: a hostile file could ask for hours, one bag at a time.
const MAX_ITERATIONS: u64 = 10_000_000;

/// The key-derivation iterations a file may still ask for, of its budget.
struct Work {
    left: u64,
    budget: u64,
}

impl Work {
    fn spend(&mut self, iterations: u64, what: &'static str) -> Result<()> {
        match self.left.checked_sub(iterations) {
            Some(left) if iterations > 0 => {
                self.left = left;
                Ok(())
            }
            _ => Err(Pkcs12Error::TooMuchWork {
                what,
                iterations,
                budget: self.budget,
            }),
        }
    }
}
/// Nesting of a well-formed file is about 10 deep.
const MAX_DEPTH: usize = 32;

const CONVERT: &str = "convert it with `openssl pkcs12 -in old.pfx -nodes -legacy | openssl pkcs12 -export -out new.pfx` (AES) or to PEM with `openssl pkcs12 -in old.pfx -out cert.pem -nodes -legacy`";

// Object identifiers, as their DER contents.
const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const ENCRYPTED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06];
const KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01,
];
const SHROUDED_KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
];
const CERT_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x03,
];
const X509_CERTIFICATE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01];
const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
/// pbeWithSHAAnd… (RFC 7292 appendix C): RC4, 3DES and RC2, the legacy forms.
const LEGACY_PBE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
const HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
const HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const HMAC_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a];
const HMAC_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b];
const AES_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01];
const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_0_PRIMITIVE: u8 = 0x80;

/// The certificates and keys of a PKCS#12 file, once its MAC proves the password right.
pub fn read(der: &[u8], password: &str) -> Result<Contents> {
    read_within(der, password, MAX_ITERATIONS)
}

/// As [`read`], with at most `budget` key-derivation iterations for the whole file.
fn read_within(der: &[u8], password: &str, budget: u64) -> Result<Contents> {
    let mut work = Work {
        left: budget,
        budget,
    };
    let mut top = Reader::new(der, 0);
    let mut pfx = top.expect(SEQUENCE, "the file")?;
    if top.more() {
        return Err(malformed("the file", "bytes after the PKCS#12 structure"));
    }
    let version = pfx.integer("the version")?;
    if version != 3 {
        return Err(Pkcs12Error::Unsupported(format!(
            "PKCS#12 version {version}, not 3"
        )));
    }
    let mut auth_safe = pfx.expect(SEQUENCE, "authSafe")?;
    if auth_safe.oid("authSafe's content type")? != DATA {
        return Err(Pkcs12Error::Unsupported(
            "authSafe is not `data`: public-key integrity mode is not supported".into(),
        ));
    }
    let content = auth_safe
        .expect(CONTEXT_0, "authSafe")?
        .octets("authSafe")?;
    match pfx.more() {
        true => check_mac(
            &mut pfx.expect(SEQUENCE, "macData")?,
            &content,
            password,
            &mut work,
        )?,
        false => return Err(malformed("the file", "no integrity MAC")),
    }
    let mut contents = Contents::default();
    let mut safes = Reader::new(&content, 1);
    let mut safes = safes.expect(SEQUENCE, "AuthenticatedSafe")?;
    while safes.more() {
        let mut info = safes.expect(SEQUENCE, "ContentInfo")?;
        let kind = info.oid("ContentInfo's type")?;
        let mut explicit = info.expect(CONTEXT_0, "ContentInfo")?;
        let safe_contents = if kind == DATA {
            explicit.octets("SafeContents")?
        } else if kind == ENCRYPTED_DATA {
            let mut encrypted = explicit.expect(SEQUENCE, "EncryptedData")?;
            encrypted.integer("EncryptedData's version")?;
            let mut info = encrypted.expect(SEQUENCE, "EncryptedContentInfo")?;
            info.oid("EncryptedContentInfo's type")?;
            let algorithm = info.expect(SEQUENCE, "the encryption algorithm")?;
            let ciphertext = info.implicit_octets("encryptedContent")?;
            decrypt(algorithm, &ciphertext, password, &mut work)?
        } else {
            return Err(Pkcs12Error::Unsupported(
                "a ContentInfo neither data nor encryptedData (enveloped?)".into(),
            ));
        };
        bags(&safe_contents, password, &mut contents, &mut work)?;
    }
    Ok(contents)
}

/// The SafeBags of one SafeContents: certificates and keys kept, other bags skipped.
fn bags(safe_contents: &[u8], password: &str, out: &mut Contents, work: &mut Work) -> Result<()> {
    let mut outer = Reader::new(safe_contents, 2);
    let mut list = outer.expect(SEQUENCE, "SafeContents")?;
    while list.more() {
        let mut bag = list.expect(SEQUENCE, "SafeBag")?;
        let id = bag.oid("the bag type")?;
        let mut value = bag.expect(CONTEXT_0, "the bag value")?;
        if id == CERT_BAG {
            let mut cert = value.expect(SEQUENCE, "CertBag")?;
            if cert.oid("the certificate type")? == X509_CERTIFICATE {
                out.certificates.push(
                    cert.expect(CONTEXT_0, "CertBag")?
                        .octets("the certificate")?,
                );
            }
        } else if id == SHROUDED_KEY_BAG {
            let mut shrouded = value.expect(SEQUENCE, "EncryptedPrivateKeyInfo")?;
            let algorithm = shrouded.expect(SEQUENCE, "the key's encryption algorithm")?;
            let ciphertext = shrouded.octets("the encrypted key")?;
            out.keys
                .push(decrypt(algorithm, &ciphertext, password, work)?);
        } else if id == KEY_BAG {
            out.keys
                .push(value.raw(SEQUENCE, "PrivateKeyInfo")?.to_vec());
        }
    }
    Ok(())
}

/// PBES2 with PBKDF2 and AES-CBC (RFC 8018); the password as UTF-8, as OpenSSL takes it.
fn decrypt(
    mut algorithm: Reader<'_>,
    ciphertext: &[u8],
    password: &str,
    work: &mut Work,
) -> Result<Vec<u8>> {
    let id = algorithm.oid("the encryption algorithm")?;
    if id.starts_with(LEGACY_PBE) {
        return Err(Pkcs12Error::Unsupported(format!(
            "the file is encrypted with a legacy algorithm (RC2 or 3DES); {CONVERT}"
        )));
    }
    if id != PBES2 {
        return Err(Pkcs12Error::Unsupported(
            "the file is encrypted with an algorithm other than PBES2".into(),
        ));
    }
    let mut params = algorithm.expect(SEQUENCE, "PBES2 parameters")?;
    let mut kdf = params.expect(SEQUENCE, "the key derivation")?;
    if kdf.oid("the key derivation")? != PBKDF2 {
        return Err(Pkcs12Error::Unsupported(
            "a PBES2 key derivation other than PBKDF2".into(),
        ));
    }
    let mut kdf = kdf.expect(SEQUENCE, "PBKDF2 parameters")?;
    let salt = kdf.octets("the PBKDF2 salt")?;
    let iterations = kdf.integer("the PBKDF2 iteration count")?;
    if kdf.peek() == Some(INTEGER) {
        kdf.integer("the PBKDF2 key length")?;
    }
    let prf = match kdf.more() {
        true => kdf
            .expect(SEQUENCE, "the PBKDF2 PRF")?
            .oid("the PBKDF2 PRF")?,
        false => HMAC_SHA1.to_vec(),
    };
    let prf = match prf.as_slice() {
        HMAC_SHA1 => pbkdf2::PBKDF2_HMAC_SHA1,
        HMAC_SHA256 => pbkdf2::PBKDF2_HMAC_SHA256,
        HMAC_SHA384 => pbkdf2::PBKDF2_HMAC_SHA384,
        HMAC_SHA512 => pbkdf2::PBKDF2_HMAC_SHA512,
        _ => {
            return Err(Pkcs12Error::Unsupported(
                "a PBKDF2 PRF other than HMAC-SHA-1/256/384/512".into(),
            ));
        }
    };
    let mut scheme = params.expect(SEQUENCE, "the encryption scheme")?;
    let cipher = scheme.oid("the encryption scheme")?;
    let iv = scheme.octets("the AES IV")?;
    let key_len = match cipher.strip_prefix(AES_CBC) {
        Some([0x02]) => 16,
        Some([0x16]) => 24,
        Some([0x2a]) => 32,
        _ => {
            return Err(Pkcs12Error::Unsupported(
                "an encryption scheme other than AES-CBC".into(),
            ));
        }
    };
    work.spend(iterations, "a PBKDF2 iteration count")?;
    let iterations = u32::try_from(iterations)
        .ok()
        .and_then(std::num::NonZeroU32::new)
        .ok_or(malformed(
            "the PBKDF2 iteration count",
            "not a positive 32-bit number",
        ))?;
    let mut key = vec![0u8; key_len];
    pbkdf2::derive(prf, iterations, &salt, password.as_bytes(), &mut key);
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| malformed("the AES IV", "not 16 bytes"))?;
    let plain = match key_len {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, &iv)
            .map_err(|_| malformed("the AES key", "of the wrong length"))?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(&key, &iv)
            .map_err(|_| malformed("the AES key", "of the wrong length"))?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &iv)
            .map_err(|_| malformed("the AES key", "of the wrong length"))?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
    };
    plain.map_err(|_| Pkcs12Error::WrongPassword("a bag does not decrypt (a wrong password?)"))
}

/// The integrity MAC: HMAC over the authSafe content with a key from the PKCS#12 KDF.
fn check_mac(
    mac_data: &mut Reader<'_>,
    content: &[u8],
    password: &str,
    work: &mut Work,
) -> Result<()> {
    let mut digest_info = mac_data.expect(SEQUENCE, "the MAC")?;
    let mut algorithm = digest_info.expect(SEQUENCE, "the MAC algorithm")?;
    let (hash, mac) = match algorithm.oid("the MAC algorithm")?.as_slice() {
        SHA256 => (&digest::SHA256, hmac::HMAC_SHA256),
        SHA1 => (
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        ),
        _ => {
            return Err(Pkcs12Error::Unsupported(
                "a MAC algorithm other than SHA-1 or SHA-256".into(),
            ));
        }
    };
    let expected = digest_info.octets("the MAC value")?;
    let salt = mac_data.octets("the MAC salt")?;
    let iterations = match mac_data.more() {
        true => mac_data.integer("the MAC iteration count")?,
        false => 1,
    };
    work.spend(iterations, "a MAC iteration count")?;
    let key = pkcs12_kdf(
        hash,
        3,
        &salt,
        &bmp_password(password),
        iterations,
        hash.output_len(),
    );
    hmac::verify(&hmac::Key::new(mac, &key), content, &expected).map_err(|_| {
        Pkcs12Error::WrongPassword(
            "the password is wrong, or the file was altered (its MAC does not match)",
        )
    })
}

/// The password as PKCS#12's KDF takes it: UTF-16 big-endian with two zero bytes at the end.
fn bmp_password(password: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    bytes.extend([0, 0]);
    bytes
}

/// RFC 7292 appendix B.2: `n` bytes of key material of purpose `id` (3: the MAC key).
fn pkcs12_kdf(
    hash: &'static digest::Algorithm,
    id: u8,
    salt: &[u8],
    password: &[u8],
    iterations: u64,
    n: usize,
) -> Vec<u8> {
    let (u, v) = (hash.output_len(), hash.block_len());
    let fill = |s: &[u8]| -> Vec<u8> {
        let len = s.len().div_ceil(v) * v;
        s.iter().cycle().take(len).copied().collect()
    };
    let mut i: Vec<u8> = [fill(salt), fill(password)].concat();
    let mut out = Vec::with_capacity(n.div_ceil(u) * u);
    while out.len() < n {
        let mut ctx = digest::Context::new(hash);
        ctx.update(&vec![id; v]);
        ctx.update(&i);
        let mut a = ctx.finish().as_ref().to_vec();
        for _ in 1..iterations {
            a = digest::digest(hash, &a).as_ref().to_vec();
        }
        let b: Vec<u8> = a.iter().cycle().take(v).copied().collect();
        for block in i.chunks_mut(v) {
            // block = (block + b + 1) mod 2^(8v), big-endian.
            let mut carry = 1u16;
            for k in (0..v).rev() {
                let sum = u16::from(block[k]) + u16::from(b[k]) + carry;
                block[k] = sum as u8;
                carry = sum >> 8;
            }
        }
        out.extend(a);
    }
    out.truncate(n);
    out
}

/// A DER reader over one level of nesting; BER's indefinite lengths and constructed strings,
/// which some Windows exports use, are read too.
struct Reader<'a> {
    data: &'a [u8],
    depth: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], depth: usize) -> Reader<'a> {
        Reader { data, depth }
    }

    fn more(&self) -> bool {
        !self.data.is_empty()
    }

    fn peek(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The next element: its tag, its contents, and the whole encoding.
    fn next(&mut self, what: &'static str) -> Result<(u8, &'a [u8])> {
        let bad = || malformed(what, "not a well-formed PKCS#12 file");
        if self.depth > MAX_DEPTH {
            return Err(malformed(what, "nested too deeply"));
        }
        let tag = *self.data.first().ok_or_else(bad)?;
        let first = *self.data.get(1).ok_or_else(bad)?;
        let (len, header) = match first {
            0x80 if tag & 0x20 != 0 => {
                // Indefinite: the contents run to the end-of-contents marker after the last
                // element inside.
                let mut inner = Reader::new(&self.data[2..], self.depth + 1);
                while inner.data.get(..2).ok_or_else(bad)? != [0, 0] {
                    inner.next(what)?;
                }
                let len = self.data.len() - 2 - inner.data.len();
                let contents = &self.data[2..2 + len];
                self.data = &inner.data[2..];
                return Ok((tag, contents));
            }
            n if n < 0x80 => (usize::from(n), 2),
            n => {
                let count = usize::from(n & 0x7f);
                if count == 0 || count > 4 {
                    return Err(bad());
                }
                let bytes = self.data.get(2..2 + count).ok_or_else(bad)?;
                (
                    bytes
                        .iter()
                        .fold(0usize, |acc, b| acc << 8 | usize::from(*b)),
                    2 + count,
                )
            }
        };
        let contents = self.data.get(header..header + len).ok_or_else(bad)?;
        self.data = &self.data[header + len..];
        Ok((tag, contents))
    }

    /// The next element, which must have this tag, as a reader over its contents.
    fn expect(&mut self, tag: u8, what: &'static str) -> Result<Reader<'a>> {
        Ok(Reader::new(self.raw(tag, what)?, self.depth + 1))
    }

    /// The contents of the next element, which must have this tag.
    fn raw(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8]> {
        match self.next(what)? {
            (t, contents) if t == tag => Ok(contents),
            _ => Err(malformed(what, "not what a PKCS#12 file has there")),
        }
    }

    fn oid(&mut self, what: &'static str) -> Result<Vec<u8>> {
        self.raw(OID, what).map(<[u8]>::to_vec)
    }

    fn integer(&mut self, what: &'static str) -> Result<u64> {
        let bytes = self.raw(INTEGER, what)?;
        if bytes.is_empty() || bytes.len() > 8 || bytes[0] & 0x80 != 0 {
            return Err(malformed(what, "not a small positive integer"));
        }
        Ok(bytes.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)))
    }

    /// An OCTET STRING, primitive or (BER) constructed of primitive pieces.
    fn octets(&mut self, what: &'static str) -> Result<Vec<u8>> {
        self.string(OCTET_STRING, what)
    }

    /// `[0] IMPLICIT OCTET STRING`, primitive or constructed.
    fn implicit_octets(&mut self, what: &'static str) -> Result<Vec<u8>> {
        self.string(CONTEXT_0_PRIMITIVE, what)
    }

    fn string(&mut self, primitive: u8, what: &'static str) -> Result<Vec<u8>> {
        match self.next(what)? {
            (t, contents) if t == primitive => Ok(contents.to_vec()),
            (t, contents) if t == primitive | 0x20 => {
                let mut pieces = Reader::new(contents, self.depth + 1);
                let mut out = Vec::new();
                while pieces.more() {
                    out.extend(pieces.octets(what)?);
                }
                Ok(out)
            }
            _ => Err(malformed(what, "not what a PKCS#12 file has there")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PFX: &[u8] = include_bytes!("../../../tests/data/certificate/service-principal.pfx");
    const PEM: &[u8] = include_bytes!("../../../tests/data/certificate/service-principal.pem");

    #[test]
    fn an_openssl_3_file_gives_the_certificate_and_key_of_the_pem() {
        use rustls_pki_types::pem::PemObject;
        let contents = read(PFX, "test-only").unwrap();
        let cert = rustls_pki_types::CertificateDer::from_pem_slice(PEM).unwrap();
        assert_eq!(contents.certificates, [cert.as_ref().to_vec()]);
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(PEM).unwrap();
        assert_eq!(contents.keys, [key.secret_pkcs8_der().to_vec()]);
    }

    #[test]
    fn the_iteration_budget_is_for_the_whole_file_not_each_bag() {
        // The file's MAC and its two encrypted bags each ask for 2,048 iterations.
        assert!(read_within(PFX, "test-only", 3 * 2_048).is_ok());
        let e = read_within(PFX, "test-only", 3 * 2_048 - 1).err().unwrap();
        assert!(matches!(e, Pkcs12Error::TooMuchWork { budget: 6143, .. }));
        assert!(
            e.to_string()
                .contains("more than 6143 key-derivation iterations in all"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_password_or_an_altered_file_is_refused_by_the_mac() {
        let e = read(PFX, "wrong").err().unwrap();
        assert!(matches!(e, Pkcs12Error::WrongPassword(_)), "{e}");
        let mut altered = PFX.to_vec();
        altered[200] ^= 1;
        assert!(read(&altered, "test-only").is_err());
    }

    #[test]
    fn truncated_and_garbage_input_is_an_error_not_a_panic() {
        for n in [0, 1, 2, 10, 100, PFX.len() / 2, PFX.len() - 1] {
            assert!(read(&PFX[..n], "test-only").is_err(), "{n}");
        }
        assert!(read(b"\x30\x84\xff\xff\xff\xff", "").is_err());
        // An indefinite length that never ends, and nesting far past any file's.
        assert!(read(b"\x30\x80\x30\x80\x30\x80", "").is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 200).flatten().collect();
        assert!(read(&deep, "").is_err());
    }

    /// Other forms OpenSSL writes: AES-128, a SHA-1 MAC, a password that is not ASCII; and
    /// the legacy RC2/3DES form, refused with the way to convert it.
    #[test]
    fn other_current_forms_are_read_and_the_legacy_one_is_refused_with_the_fix() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certificate");
        let file = |name: &str| std::fs::read(dir.join(name)).unwrap();
        let aes128 = read(&file("aes128-sha1mac.pfx"), "pässwörd").unwrap();
        let openssl3 = read(PFX, "test-only").unwrap();
        assert_eq!(aes128.certificates, openssl3.certificates);
        assert_eq!(aes128.keys, openssl3.keys);
        assert!(read(&file("aes128-sha1mac.pfx"), "passwords").is_err());
        let e = read(&file("legacy.pfx"), "test-only")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("legacy") && e.contains("openssl pkcs12"), "{e}");
    }
}
