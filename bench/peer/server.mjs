// The token endpoint the platform is measured against (bench/tokens.py --peer): oidc-provider
// with one confidential client_credentials client and introspection, its in-memory adapter
// and development keys, as its quick start runs it. PORT, CLIENT_ID and CLIENT_SECRET come
// from the environment.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api',
  }],
  scopes: ['api'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
});
provider.listen(port, () => console.log(`oidc-provider listening on ${port}`));
