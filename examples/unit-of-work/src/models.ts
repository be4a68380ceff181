/**
 * The example's model: two plain classes and where they are stored. `@mapped` (compiled away by
 * the transformer) makes every field an instrumented attribute; the Session's loaders reload
 * expired attributes, the deferred `User.bio` and the lazy relationships.
 */
import { attribute, mapped } from "class-instrumentation";
import { mapTable } from "./mapping";
import { deferredColumn, lazyRelationship, loadExpiredAttributes } from "./session";

@mapped({ expiredAttributeLoader: loadExpiredAttributes })
export class User {
  /** Assigned by SQLite on INSERT. */
  id!: number;
  name: string;
  email: string;
  /** Deferred: queries leave it out; it loads on first read (and stays out of expiry reloads). */
  @attribute({ callable: deferredColumn("bio"), loadOnUnexpire: false }) bio = "";
  /** One-to-many, stored in `posts.author_id`; `Post.author` mirrors it. Loads on first read, also after expiry. */
  @attribute({ backref: "author", callable: lazyRelationship("posts"), loadOnUnexpire: false }) posts: Post[] = [];

  constructor(name: string, email: string) {
    this.name = name;
    this.email = email;
  }
}

@mapped({ expiredAttributeLoader: loadExpiredAttributes })
export class Post {
  id!: number;
  title: string;
  body = "";
  /** Many-to-one, the other side of `User.posts`; loads on first read after expiry. */
  @attribute({ backref: "posts", callable: lazyRelationship("author"), loadOnUnexpire: false }) author: User | null = null;

  constructor(title: string, body = "") {
    this.title = title;
    this.body = body;
  }
}

mapTable(User, {
  table: "users",
  primaryKey: "id",
  columns: ["id", "name", "email", "bio"],
  deferred: ["bio"],
  oneToMany: { posts: { target: () => Post, foreignKey: "author_id" } },
});

mapTable(Post, {
  table: "posts",
  primaryKey: "id",
  columns: ["id", "title", "body"],
  manyToOne: { author: { target: () => User, foreignKey: "author_id" } },
});

/** The schema of the example's database. */
export const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, bio TEXT NOT NULL DEFAULT '');
  CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
                      author_id INTEGER REFERENCES users (id));
`;
