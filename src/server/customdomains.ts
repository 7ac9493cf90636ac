// Certificates for custom domain names: a service with customDomainName + certificateArn serves
// that ACM certificate for that SNI name on its HTTPS listeners (User Guide, "Custom domain names
// for VPC Lattice services"); everything else gets a certificate from the Trellis CA.
import type { Snapshot } from '../compile/snapshot.ts';
import type { View } from '../store/view.ts';
import type { Certificates } from '../dataplane/tls/certificates.ts';
import { certificateByArn, servingMaterial } from '../api/acm/record.ts';

export class CustomDomainCertificates {
  readonly #certificates: Certificates;
  readonly #view: View;
  /** name -> what is installed for it (certificate ARN and the PEM it had), to skip unchanged ones. */
  readonly #installed = new Map<string, string>();

  constructor(certificates: Certificates, view: View) {
    this.#certificates = certificates;
    this.#view = view;
  }

  /** Installs, replaces and removes user certificates to match the Snapshot's services. */
  sync(snapshot: Snapshot, log: (line: string) => void): void {
    const wanted = new Map<string, { certPem: string; keyPem: string; tag: string }>();
    for (const svc of new Set(snapshot.names.values())) {
      if (!svc.customDomainName || !svc.certificateArn) continue;
      const rec = certificateByArn(this.#view, svc.certificateArn);
      if (!rec || rec.account !== svc.account) continue;
      const material = servingMaterial(rec);
      if (material) wanted.set(svc.customDomainName, { ...material, tag: `${svc.certificateArn}\n${material.certPem}` });
    }
    for (const name of this.#installed.keys()) {
      if (!wanted.has(name)) {
        this.#certificates.removeCertificate([name]);
        this.#installed.delete(name);
      }
    }
    for (const [name, m] of wanted) {
      if (this.#installed.get(name) === m.tag) continue;
      try {
        this.#certificates.addCertificate([name], m.certPem, m.keyPem);
        this.#installed.set(name, m.tag);
      } catch (err) {
        log(`custom domain ${name}: cannot serve its certificate: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
