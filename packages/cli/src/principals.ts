// Users and groups named on the command line: by id (usr_…, grp_…) or by name. Any signed-in user
// finds an active user by exact username (the server's lookup: no listing, no partial match); the
// administration commands also find disabled users, through the directory (users.read).
import { type CofferClient, type Group, isCofferError, type PageQuery, paginate, type User, type UserListQuery } from '@coffer/sdk/client';
import { CliError } from './cli.ts';
import { CLIENT_EXIT } from './client.ts';

export const USER_ID = /^usr_[0-9a-z]{26}$/;
export const GROUP_ID = /^grp_[0-9a-z]{26}$/;

/** As the server compares usernames and group names: NFKC, trimmed, lower-case. */
export const canonical = (s: string): string => s.normalize('NFKC').trim().toLowerCase();

export interface UserName {
  id: string;
  username: string;
}

/** An active user by exact username (anyone may ask), or a user id as given. */
export async function findUser(client: CofferClient, arg: string): Promise<UserName> {
  if (USER_ID.test(arg)) return { id: arg, username: arg };
  try {
    const u = await client.users.lookup(arg);
    return { id: u.id, username: u.username };
  } catch (e) {
    if (isCofferError(e, 'not_found')) throw new CliError(`there is no active user named "${arg}"`, CLIENT_EXIT.notFound);
    throw e;
  }
}

/** A user record by id or username, disabled ones included (needs users.read). */
export async function directoryUser(client: CofferClient, arg: string): Promise<User> {
  if (USER_ID.test(arg)) return client.users.get(arg);
  const wanted = canonical(arg);
  for await (const u of paginate((q: UserListQuery) => client.users.list(q), { limit: 500 })) {
    if (canonical(u.username) === wanted) return u;
  }
  throw new CliError(`there is no user named "${arg}"`, CLIENT_EXIT.notFound);
}

/** A group by name (needs groups.read), or a group id as given (anyone may give one). */
export async function findGroup(client: CofferClient, arg: string): Promise<{ id: string; name: string }> {
  if (GROUP_ID.test(arg)) return { id: arg, name: arg };
  return directoryGroup(client, arg);
}

/** A group record by id or name (needs groups.read). */
export async function directoryGroup(client: CofferClient, arg: string): Promise<Group> {
  if (GROUP_ID.test(arg)) return client.groups.get(arg);
  const wanted = canonical(arg);
  try {
    for await (const g of paginate((q: PageQuery) => client.groups.list(q), { limit: 500 })) {
      if (canonical(g.name) === wanted) return g;
    }
  } catch (e) {
    if (isCofferError(e) && e.status === 403) {
      throw new CliError(
        `you may not look groups up by name: give the group's id (grp_…) instead (${e.code}, request ${e.requestId})`,
        CLIENT_EXIT.forbidden,
      );
    }
    throw e;
  }
  throw new CliError(`there is no group named "${arg}"`, CLIENT_EXIT.notFound);
}

/**
 * Names for user and group ids, for listings: from the directory when the caller may read it,
 * else empty (the ids are shown instead).
 */
export async function principalNames(client: CofferClient, want: { users: boolean; groups: boolean }): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const collect = async <T>(list: AsyncIterable<T>, add: (x: T) => void) => {
    try {
      for await (const x of list) add(x);
    } catch (e) {
      if (!(isCofferError(e) && e.status === 403)) throw e;
    }
  };
  if (want.users) {
    await collect(
      paginate((q: UserListQuery) => client.users.list(q), { limit: 500 }),
      (u) => names.set(u.id, u.username),
    );
  }
  if (want.groups) {
    await collect(
      paginate((q: PageQuery) => client.groups.list(q), { limit: 500 }),
      (g) => names.set(g.id, g.name),
    );
  }
  return names;
}
