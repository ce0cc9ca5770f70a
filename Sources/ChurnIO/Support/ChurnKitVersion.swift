/// The ChurnKit version, recorded in every artifact it writes.
public enum ChurnKitVersion {
  public static let current = "0.1.0"
}
