/**
 * Routes the bot's outgoing calls for the host's own channels. The SDK sends replies to the
 * `serviceUrl` of the conversation with credentials from the configured Bot Framework app;
 * for the built-in Direct Line that URL is an internal connector endpoint of this host, which
 * expects a host-signed token instead (there is no Azure AD to ask for one locally).
 *
 * Every other call, and all inbound authentication, goes to the configured authentication
 * unchanged.
 */
import type { Activity } from 'botbuilder';
import {
  type AuthenticateRequestResult,
  BotFrameworkAuthentication,
  type BotFrameworkClient,
  type ClaimsIdentity,
  type ConnectorClient,
  ConnectorFactory,
  type UserTokenClient,
} from 'botframework-connector';

/** A channel implemented by the host itself, with its own connector endpoint. */
export interface HostChannel {
  /** Whether `serviceUrl` is this channel's connector endpoint, on this or another host. */
  owns(serviceUrl: string): boolean;
  /** A client for this host's own connector endpoint, signed for it. */
  createConnectorClient(): ConnectorClient;
}

/** The configured authentication, with the bot's calls to host channels routed to them. */
export class HostAwareAuthentication extends BotFrameworkAuthentication {
  readonly #channels: HostChannel[] = [];

  constructor(private readonly inner: BotFrameworkAuthentication) {
    super();
  }

  /** Adds a host channel; its conversations' replies no longer use the configured credentials. */
  register(channel: HostChannel): void {
    this.#channels.push(channel);
  }

  override authenticateRequest(
    activity: Activity,
    authHeader: string,
  ): Promise<AuthenticateRequestResult> {
    return this.inner.authenticateRequest(activity, authHeader).then((result) => ({
      ...result,
      connectorFactory: this.createConnectorFactory(result.claimsIdentity),
    }));
  }

  override authenticateStreamingRequest(
    authHeader: string,
    channelIdHeader: string,
  ): Promise<AuthenticateRequestResult> {
    return this.inner.authenticateStreamingRequest(authHeader, channelIdHeader);
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return this.inner.authenticateChannelRequest(authHeader);
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return new RoutingConnectorFactory(
      this.#channels,
      this.inner.createConnectorFactory(claimsIdentity),
    );
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.inner.createUserTokenClient(claimsIdentity);
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }
}

class RoutingConnectorFactory extends ConnectorFactory {
  constructor(
    private readonly channels: readonly HostChannel[],
    private readonly fallback: ConnectorFactory,
  ) {
    super();
  }

  override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
    const channel = this.channels.find((c) => c.owns(serviceUrl));
    if (channel !== undefined) return Promise.resolve(channel.createConnectorClient());
    return this.fallback.create(serviceUrl, audience);
  }
}
