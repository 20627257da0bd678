//! A service principal's certificate (`AZURE_CLIENT_CERTIFICATE_PATH`, a PEM file or a
//! PKCS#12 `.pfx` with `AZURE_CLIENT_CERTIFICATE_PASSWORD`): its certificate and RSA key sign
//! the client assertion Entra ID asks for (PS256 with the certificate's SHA-256 thumbprint as
//! `x5t#S256`), in pure Rust with ring, the crypto the TLS stack already carries;
//! azure_identity's own certificate credential needs OpenSSL.

use std::time::{SystemTime, UNIX_EPOCH};

use azure_core::http::ClientMethodOptions;
use azure_identity::ClientAssertion;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RSA_PSS_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate file is a few kilobytes; anything past this is not one.
const FILE_LIMIT: u64 = 1 << 20;
/// How long an assertion is valid: Entra ID takes it once, right away.
const LIFETIME_SECS: u64 = 600;

/// Why a certificate file cannot sign in. No variant holds key material: a PEM problem is
/// named by kind, never quoted.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("AZURE_CLIENT_CERTIFICATE_PATH: {0}")]
    File(#[source] Box<crate::error::Error>),
    #[error("{}: {source}", file.display())]
    In {
        file: std::path::PathBuf,
        #[source]
        source: Box<CertificateError>,
    },
    #[error("not a PEM file, nor a PKCS#12 file amlsec can open: {0}")]
    Pkcs12(#[from] super::pkcs12::Pkcs12Error),
    /// A PEM section that cannot be read, or what the file lacks or holds wrongly.
    #[error("{0}")]
    Content(&'static str),
    #[error("the certificate cannot be read: {0}")]
    Certificate(&'static str),
    #[error("no private key that can be read: {0}")]
    Key(&'static str),
    #[error("the private key is not an RSA key ring accepts ({0})")]
    NotRsa(ring::error::KeyRejected),
    #[error("{0}")]
    Sign(&'static str),
}

type Result<T> = std::result::Result<T, CertificateError>;

pub struct CertificateAssertion {
    key: RsaKeyPair,
    thumbprint: String,
    client_id: String,
    /// The tenant's token endpoint, the assertion's audience.
    audience: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("CertificateAssertion")
            .field("thumbprint", &self.thumbprint)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// Reads the PEM or PKCS#12 file at `path`, at most 1 MiB; `password` opens a PKCS#12
    /// file (none is the empty password).
    pub fn load(
        path: &std::path::Path,
        password: Option<&str>,
        client_id: &str,
        audience: String,
    ) -> Result<Self> {
        let bytes = crate::input::read(path, FILE_LIMIT)
            .map_err(|e| CertificateError::File(Box::new(e)))?;
        let read = match bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            true => Self::from_pem(&bytes, client_id, audience),
            false => Self::from_pkcs12(&bytes, password.unwrap_or(""), client_id, audience),
        };
        read.map_err(|e| CertificateError::In {
            file: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// A PKCS#12 file: the certificate whose public key is the file's RSA key's.
    pub fn from_pkcs12(
        der: &[u8],
        password: &str,
        client_id: &str,
        audience: String,
    ) -> Result<Self> {
        let contents = super::pkcs12::read(der, password)?;
        let key = match contents.keys.as_slice() {
            [key] => RsaKeyPair::from_pkcs8(key).map_err(CertificateError::NotRsa)?,
            [] => {
                return Err(CertificateError::Content(
                    "the PKCS#12 file holds no private key",
                ));
            }
            _ => {
                return Err(CertificateError::Content(
                    "the PKCS#12 file holds several private keys",
                ));
            }
        };
        let certificate = contents
            .certificates
            .iter()
            .find(|c| holds_public_key(c, &key))
            .ok_or(CertificateError::Content(
                "no certificate in the PKCS#12 file is the private key's",
            ))?;
        Ok(Self::new(key, certificate, client_id, audience))
    }

    pub fn from_pem(pem: &[u8], client_id: &str, audience: String) -> Result<Self> {
        if !pem.windows(11).any(|w| w == b"-----BEGIN ") {
            return Err(CertificateError::Content("not a PEM file"));
        }
        let certificate = CertificateDer::pem_slice_iter(pem)
            .next()
            .ok_or(CertificateError::Content("no CERTIFICATE block"))?
            .map_err(|e| CertificateError::Certificate(pem_problem(&e)))?;
        if pem
            .windows(29)
            .any(|w| w == b"BEGIN ENCRYPTED PRIVATE KEY--")
        {
            return Err(CertificateError::Content(
                "the private key is encrypted; give an unencrypted PEM key",
            ));
        }
        let key = match PrivateKeyDer::from_pem_slice(pem)
            .map_err(|e| CertificateError::Key(pem_problem(&e)))?
        {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => {
                return Err(CertificateError::Content(
                    "the private key is not an RSA key; Entra ID signs in with RSA certificates",
                ));
            }
        }
        .map_err(CertificateError::NotRsa)?;
        if !holds_public_key(&certificate, &key) {
            return Err(CertificateError::Content(
                "the certificate is not the private key's",
            ));
        }
        Ok(Self::new(key, &certificate, client_id, audience))
    }

    fn new(key: RsaKeyPair, certificate: &[u8], client_id: &str, audience: String) -> Self {
        let thumbprint =
            URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, certificate));
        CertificateAssertion {
            key,
            thumbprint,
            client_id: client_id.to_string(),
            audience,
            rng: SystemRandom::new(),
        }
    }

    /// The signed JWT, valid from `now` (seconds since the epoch).
    fn sign(&self, now: u64) -> Result<String> {
        let mut id = [0u8; 16];
        self.rng
            .fill(&mut id)
            .map_err(|_| CertificateError::Sign("no random bytes for the assertion id"))?;
        let header = serde_json::json!({"alg": "PS256", "typ": "JWT", "x5t#S256": self.thumbprint});
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": id.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "nbf": now,
            "iat": now,
            "exp": now + LIFETIME_SECS,
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PSS_SHA256,
                &self.rng,
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| CertificateError::Sign("the assertion cannot be signed"))?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// What is wrong with a PEM file, in words that never quote it: the parser's own errors carry
/// the offending line or base64 text, which for a key flattened onto one line is the key.
fn pem_problem(e: &rustls_pki_types::pem::Error) -> &'static str {
    use rustls_pki_types::pem::Error;
    match e {
        Error::MissingSectionEnd { .. } => "a section has no END line",
        Error::IllegalSectionStart { .. } => {
            "a BEGIN line is malformed (each PEM line on its own line, as written by openssl?)"
        }
        Error::Base64Decode(_) => "a section's base64 cannot be decoded",
        Error::NoItemsFound => "no such section",
        Error::SectionTooLarge => "a section is too large",
        _ => "the file cannot be read as PEM",
    }
}

/// Whether the certificate's SubjectPublicKeyInfo is the key's public half: an RSA key
/// (algorithm rsaEncryption) whose bit string (no unused bits) is the key's RSAPublicKey. A
/// certificate that does not parse as X.509 is no match.
fn holds_public_key(certificate: &[u8], key: &RsaKeyPair) -> bool {
    /// The DER of the OID 1.2.840.113549.1.1.1 (rsaEncryption).
    const RSA_ENCRYPTION: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let der = CertificateDer::from(certificate);
    let Ok(parsed) = webpki::EndEntityCert::try_from(&der) else {
        return false;
    };
    let spki = parsed.subject_public_key_info();
    let spki = spki.as_ref();
    // The SPKI's last element: BIT STRING, its DER length, no unused bits, the RSAPublicKey.
    let public = key.public().as_ref();
    let content = public.len() + 1;
    let mut bit_string = vec![0x03];
    match u8::try_from(content) {
        Ok(n) if n < 0x80 => bit_string.push(n),
        _ => {
            let bytes: Vec<u8> = content
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            bit_string.push(0x80 | bytes.len() as u8);
            bit_string.extend(bytes);
        }
    }
    bit_string.push(0x00);
    bit_string.extend_from_slice(public);
    spki.strip_suffix(bit_string.as_slice())
        .is_some_and(|algorithm| {
            algorithm
                .windows(RSA_ENCRYPTION.len())
                .any(|w| w == RSA_ENCRYPTION)
        })
}

#[async_trait::async_trait]
impl ClientAssertion for CertificateAssertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.sign(now).map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use azure_core::credentials::TokenCredential;
    use azure_core::http::{
        AsyncRawResponse, ClientOptions, HttpClient, Request, StatusCode, Transport,
        headers::Headers,
    };
    use azure_identity::{ClientAssertionCredential, ClientAssertionCredentialOptions};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::Value;

    use super::{CertificateAssertion, holds_public_key};
    use ring::signature::RsaKeyPair;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    const PEM: &[u8] = include_bytes!("../../../tests/data/certificate/service-principal.pem");
    const PUBLIC_KEY: &[u8] = include_bytes!("../../../tests/data/certificate/public-key.der");
    const THUMBPRINT_HEX: &str = include_str!("../../../tests/data/certificate/cert-sha256.hex");
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const CLIENT: &str = "00000000-0000-0000-0000-0000000000aa";
    const TOKEN_URL: &str =
        "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token";

    /// Entra ID's token endpoint as far as a client assertion goes: it verifies the PS256
    /// signature with the certificate's public key and each claim, then issues a token.
    #[derive(Debug, Default)]
    struct FakeTokenEndpoint {
        seen: Mutex<Vec<String>>,
    }

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    fn verify(assertion: &str) -> Result<(), String> {
        let parts: Vec<&str> = assertion.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return Err("not three parts".into());
        };
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PSS_2048_8192_SHA256,
            PUBLIC_KEY,
        );
        key.verify(
            format!("{header}.{claims}").as_bytes(),
            &URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|e| e.to_string())?,
        )
        .map_err(|_| "bad signature")?;
        let (header, claims) = (decode(header), decode(claims));
        let thumbprint: Vec<u8> = (0..64)
            .step_by(2)
            .map(|i| u8::from_str_radix(&THUMBPRINT_HEX.trim()[i..i + 2], 16).unwrap())
            .collect();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let checks = [
            (header["alg"] == "PS256", "alg"),
            (header["typ"] == "JWT", "typ"),
            (
                header["x5t#S256"] == URL_SAFE_NO_PAD.encode(&thumbprint),
                "x5t#S256",
            ),
            (claims["aud"] == TOKEN_URL, "aud"),
            (
                claims["iss"] == CLIENT && claims["sub"] == CLIENT,
                "iss/sub",
            ),
            (claims["jti"].as_str().is_some_and(|j| j.len() == 32), "jti"),
            (claims["nbf"].as_u64().is_some_and(|t| t <= now + 5), "nbf"),
            (
                claims["exp"]
                    .as_u64()
                    .is_some_and(|t| t > now && t <= now + 600 + 5),
                "exp",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, claim)) => Err(format!("{claim} is wrong: {header} {claims}")),
            None => Ok(()),
        }
    }

    #[async_trait::async_trait]
    impl HttpClient for FakeTokenEndpoint {
        async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
            assert_eq!(request.url().as_str(), TOKEN_URL);
            let azure_core::http::Body::Bytes(body) = request.body() else {
                panic!("a streamed token request")
            };
            let form: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(body).into_owned().collect();
            let assertion = &form["client_assertion"];
            assert_eq!(
                form["client_assertion_type"],
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            );
            assert_eq!(form["client_id"], CLIENT);
            self.seen.lock().unwrap().push(assertion.clone());
            let (status, body) = match verify(assertion) {
                Ok(()) => (
                    StatusCode::Ok,
                    r#"{"token_type":"Bearer","expires_in":3599,"access_token":"issued-for-the-certificate"}"#.to_string(),
                ),
                Err(why) => (
                    StatusCode::Unauthorized,
                    serde_json::json!({
                        "error": "invalid_client",
                        "error_description": format!("AADSTS700027: {why}"),
                    })
                    .to_string(),
                ),
            };
            Ok(AsyncRawResponse::from_bytes(status, Headers::new(), body))
        }
    }

    fn credential(
        assertion: CertificateAssertion,
        endpoint: Arc<FakeTokenEndpoint>,
    ) -> Arc<ClientAssertionCredential<CertificateAssertion>> {
        let options = ClientAssertionCredentialOptions {
            client_options: ClientOptions {
                transport: Some(Transport::new(endpoint)),
                ..ClientOptions::default()
            },
        };
        ClientAssertionCredential::new(TENANT.into(), CLIENT.into(), assertion, Some(options))
            .unwrap()
    }

    #[tokio::test]
    async fn a_pem_or_pkcs12_certificate_signs_an_assertion_entra_id_accepts() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certificate");
        for (file, password) in [
            ("service-principal.pem", None),
            ("service-principal.pfx", Some("test-only")),
            ("aes128-sha1mac.pfx", Some("pässwörd")),
        ] {
            let endpoint = Arc::new(FakeTokenEndpoint::default());
            let assertion =
                CertificateAssertion::load(&dir.join(file), password, CLIENT, TOKEN_URL.into())
                    .unwrap();
            let token = credential(assertion, Arc::clone(&endpoint))
                .get_token(&["https://management.azure.com/.default"], None)
                .await
                .unwrap();
            assert_eq!(token.token.secret(), "issued-for-the-certificate", "{file}");
            assert_eq!(endpoint.seen.lock().unwrap().len(), 1);
        }
    }

    /// The fake is not a pushover: an assertion for another audience, or signed by another
    /// key, is refused.
    #[tokio::test]
    async fn the_fake_refuses_a_wrong_audience_and_a_forged_signature() {
        let endpoint = Arc::new(FakeTokenEndpoint::default());
        let elsewhere = CertificateAssertion::from_pem(
            PEM,
            CLIENT,
            "https://login.microsoftonline.us/x/oauth2/v2.0/token".into(),
        )
        .unwrap();
        let refused = credential(elsewhere, Arc::clone(&endpoint))
            .get_token(&["https://management.azure.com/.default"], None)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("AADSTS700027") || format!("{refused:?}").contains("aud"),
            "{refused:?}"
        );
        let good = CertificateAssertion::from_pem(PEM, CLIENT, TOKEN_URL.into()).unwrap();
        let signed = good.sign(1_900_000_000).unwrap();
        let mut parts: Vec<String> = signed.split('.').map(String::from).collect();
        let mut claims = decode(&parts[1]);
        claims["iss"] = Value::String("someone-else".into());
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert_eq!(verify(&parts.join(".")), Err("bad signature".into()));
    }

    #[test]
    fn keys_and_files_it_cannot_sign_with_are_named() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certificate");
        let load = |name: &str| {
            CertificateAssertion::load(&dir.join(name), Some("test-only"), CLIENT, TOKEN_URL.into())
                .unwrap_err()
                .to_string()
        };
        let wrong = CertificateAssertion::load(
            &dir.join("service-principal.pfx"),
            None,
            CLIENT,
            TOKEN_URL.into(),
        )
        .unwrap_err()
        .to_string();
        assert!(wrong.contains("password is wrong"), "{wrong}");
        assert!(load("legacy.pfx").contains("legacy"));
        assert!(load("ec-service-principal.pem").contains("not an RSA key"));
        assert!(load("missing.pem").contains("AZURE_CLIENT_CERTIFICATE_PATH"));
        // A file far larger than any certificate is refused before it is read whole.
        let huge = std::env::temp_dir().join(format!("amlsec-huge-{}.pem", std::process::id()));
        std::fs::write(&huge, vec![b'A'; (super::FILE_LIMIT + 1) as usize]).unwrap();
        let err = CertificateAssertion::load(&huge, None, CLIENT, TOKEN_URL.into())
            .unwrap_err()
            .to_string();
        std::fs::remove_file(&huge).unwrap();
        assert!(err.contains("larger than"), "{err}");
        // A key flattened onto one line (as secret stores do) is refused without being quoted.
        let text = String::from_utf8(PEM.to_vec()).unwrap();
        let key_at = text
            .find("-----BEGIN PRIVATE KEY")
            .or_else(|| text.find("-----BEGIN RSA"))
            .unwrap();
        let flattened = format!("{}{}", &text[..key_at], text[key_at..].replace('\n', " "));
        let Err(why) = CertificateAssertion::from_pem(flattened.as_bytes(), "app", "aud".into())
        else {
            panic!("a one-line PEM file is not a certificate and key");
        };
        let why = why.to_string();
        assert!(why.len() < 200, "the message quotes the file: {why}");
        let body: String = text[key_at..]
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        for chunk in body.as_bytes().chunks(16) {
            assert!(
                !why.contains(std::str::from_utf8(chunk).unwrap()),
                "the message quotes the file: {why}"
            );
        }
        let encrypted = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let err = CertificateAssertion::from_pem(encrypted, CLIENT, TOKEN_URL.into()).unwrap_err();
        assert!(err.to_string().contains("encrypted"), "{err}");
        // A certificate that is not the key's: Entra ID would refuse it, so amlsec says why.
        let ec = std::fs::read(dir.join("ec-service-principal.pem")).unwrap();
        let key_at = PEM.windows(11).position(|w| w == b"-----BEGIN ").unwrap();
        let key_at = key_at
            + PEM[key_at + 1..]
                .windows(11)
                .position(|w| w == b"-----BEGIN ")
                .unwrap()
            + 1;
        let ec_cert_end = ec
            .windows(25)
            .position(|w| w == b"-----END CERTIFICATE-----")
            .unwrap()
            + 26;
        let mismatched = [&ec[..ec_cert_end], &PEM[key_at..]].concat();
        let err =
            CertificateAssertion::from_pem(&mismatched, CLIENT, TOKEN_URL.into()).unwrap_err();
        assert!(
            matches!(err, super::CertificateError::Content(m) if m.contains("not the private key's")),
            "{err}"
        );
        let no_key = &PEM[..PEM.windows(5).position(|w| w == b"-----").unwrap() + 60];
        assert!(CertificateAssertion::from_pem(no_key, CLIENT, TOKEN_URL.into()).is_err());
    }

    /// The certificate is the key's by its SubjectPublicKeyInfo, not because the key's bytes
    /// appear somewhere in it (in an extension, say).
    #[test]
    fn the_key_matches_a_certificate_by_its_subject_public_key_info() {
        let certificate = CertificateDer::pem_slice_iter(PEM).next().unwrap().unwrap();
        let key = match PrivateKeyDer::from_pem_slice(PEM).unwrap() {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => panic!("the test key is RSA"),
        }
        .unwrap();
        assert!(holds_public_key(&certificate, &key));
        // The key's RSAPublicKey inside bytes that are no certificate: no match.
        let mut carrier = b"not a certificate".to_vec();
        carrier.extend_from_slice(key.public().as_ref());
        assert!(!holds_public_key(&carrier, &key));
        // The certificate with a byte of its key changed: no match.
        let mut changed = certificate.as_ref().to_vec();
        let at = changed.len() / 2;
        changed[at] ^= 1;
        assert!(!holds_public_key(&changed, &key));
    }
}
