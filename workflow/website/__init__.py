"""What the force website shows: published updates, incident timelines, the
Atom and CAP feeds, and the one builder of public URLs."""
