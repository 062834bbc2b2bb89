"""Media: images uploaded to the desk, made safe (decoded, re-encoded, oriented and
stripped of every byte of metadata), kept behind one small storage interface, and
carried by message versions with their alt texts."""
