import { fail, missingArgument, type WebApiMethod } from "./web-api-method.js";
import { boolArg, stringArg } from "./web-api-request.js";
import { findUser, findUsergroup } from "./workspace-directory.js";

/** auth.test, users.info and the usergroup lookups drbot's approval policy relies on. */
const authTest: WebApiMethod = {
  token: "bot",
  handle({ options }) {
    return {
      ok: true,
      url: `https://${options.teamDomain}.slack.com/`,
      team: options.teamDomain,
      user: "drbot",
      team_id: options.teamId,
      user_id: options.botUserId,
      bot_id: options.botId,
      app_id: options.appId,
      is_enterprise_install: false,
    };
  },
};

const usersInfo: WebApiMethod = {
  token: "bot",
  handle({ args, options }) {
    const id = stringArg(args, "user");
    if (!id) return missingArgument("user");
    const user = findUser(options, id);
    if (!user) return fail("user_not_found");
    const realName = user.realName ?? user.name;
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: options.teamId,
        name: user.name,
        real_name: realName,
        deleted: user.deleted === true,
        is_bot: false,
        is_admin: user.isAdmin === true,
        tz: "Etc/UTC",
        profile: { real_name: realName, display_name: user.name },
      },
    };
  },
};

const usergroupsUsersList: WebApiMethod = {
  token: "bot",
  handle({ args, options }) {
    const id = stringArg(args, "usergroup");
    if (!id) return missingArgument("usergroup");
    const group = findUsergroup(options, id);
    if (!group) return fail("no_such_subteam");
    return { ok: true, users: [...group.users] };
  },
};

const usergroupsList: WebApiMethod = {
  token: "bot",
  handle({ args, options }) {
    const includeUsers = boolArg(args, "include_users");
    return {
      ok: true,
      usergroups: options.usergroups.map((g) => ({
        id: g.id,
        team_id: options.teamId,
        handle: g.handle,
        name: g.name ?? g.handle,
        user_count: g.users.length,
        ...(includeUsers ? { users: [...g.users] } : {}),
      })),
    };
  },
};

/** Socket Mode's entry: takes the app-level token and answers a one-use ws:// URL. */
const appsConnectionsOpen: WebApiMethod = {
  token: "app",
  handle(context) {
    return { ok: true, url: context.openSocketUrl() };
  },
};

export const IDENTITY_METHODS: Record<string, WebApiMethod> = {
  "auth.test": authTest,
  "users.info": usersInfo,
  "usergroups.users.list": usergroupsUsersList,
  "usergroups.list": usergroupsList,
  "apps.connections.open": appsConnectionsOpen,
};
